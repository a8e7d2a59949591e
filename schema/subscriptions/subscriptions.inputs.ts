import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class SubscribeInput {
  @Field(() => ID, { description: 'The plan to subscribe to (its model follows from it).' })
  planId!: string;
}

@InputType()
export class CancelSubscriptionInput {
  @Field(() => ID)
  subscriptionId!: string;

  @Field({ defaultValue: true, description: 'true: serve until the current period ends; false: stop now.' })
  atPeriodEnd: boolean = true;
}
