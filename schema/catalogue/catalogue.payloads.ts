import { Field, ObjectType } from 'type-graphql';
import { UserError } from '../common/user-error.type';
import { Model } from './model.entity';
import { ModelVersion } from './model-version.entity';
import { Plan } from './plan.entity';

@ObjectType()
export class CreateModelPayload {
  @Field(() => Model, { nullable: true })
  model?: Model | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class PublishModelVersionPayload {
  @Field(() => ModelVersion, { nullable: true })
  version?: ModelVersion | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class DeprecateModelVersionPayload {
  @Field(() => ModelVersion, { nullable: true })
  version?: ModelVersion | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CreatePlanPayload {
  @Field(() => Plan, { nullable: true })
  plan?: Plan | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
