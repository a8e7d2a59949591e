import { ArrayMinSize, IsIn, IsOptional, Length, Matches } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { OrganizationKind } from './organization.entity';
import { Role } from './role.enum';

@InputType()
export class CreateOrganizationInput {
  @Field()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  name!: string;

  @Field(() => OrganizationKind)
  kind!: OrganizationKind;

  @Field({ defaultValue: 'USD', description: 'ISO 4217 currency for its invoices.' })
  @Matches(/^[A-Z]{3}$/, { message: 'billingCurrency must be an ISO 4217 code such as USD' })
  billingCurrency: string = 'USD';
}

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for.' })
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  name!: string;

  @Field(() => [Role])
  @ArrayMinSize(1, { message: 'roles must name at least one role' })
  @IsIn(Object.values(Role), { each: true })
  roles!: Role[];

  @Field(() => ID, { nullable: true, description: "Organisation of the key; default the caller's. Only ADMIN may name another." })
  @IsOptional()
  organizationId?: string;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  apiKeyId!: string;
}
