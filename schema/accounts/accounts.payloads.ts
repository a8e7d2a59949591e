import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../common/user-error.type';
import { ApiKey } from './api-key.entity';
import { Organization } from './organization.entity';
import { Role } from './role.enum';

@ObjectType()
export class CreateOrganizationPayload {
  @Field(() => Organization, { nullable: true })
  organization?: Organization | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: 'The plaintext key. Shown once; store it now.' })
  key?: string | null;

  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** The caller: its key, organisation and roles. */
@ObjectType({ description: 'The caller: its API key, organisation and roles.' })
export class Viewer {
  @Field(() => ID, { description: 'Global id of the calling API key.' })
  id!: string;

  /** The caller's organisation (its `organization` field is resolved only when asked for). */
  organizationId!: string;

  @Field(() => [Role])
  roles!: Role[];
}
