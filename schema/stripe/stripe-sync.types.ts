import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Invoice } from '../billing/invoice.entity';
import { DateTimeScalar } from '../common/scalars';
import { UserError } from '../common/user-error.type';

/** Where an invoice stands with Stripe. */
export enum StripeSyncStatus {
  NOT_SYNCED = 'NOT_SYNCED',
  PENDING = 'PENDING',
  RETRYING = 'RETRYING',
  SYNCED = 'SYNCED',
}
registerEnumType(StripeSyncStatus, {
  name: 'StripeSyncStatus',
  description: 'NOT_SYNCED: never sent (Stripe off, or not finalized yet); PENDING: queued; RETRYING: an attempt failed, another follows (lastError says why); SYNCED: in Stripe, finalized there with our amounts.',
});

/** An invoice's sync to Stripe: its outbox entry as finance sees it. */
@ObjectType({ description: 'How an invoice stands with Stripe.' })
export class StripeSync {
  @Field(() => StripeSyncStatus)
  status!: StripeSyncStatus;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (null once synced).' })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the next attempt is due (null once synced).' })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  syncedAt!: Date | null;
}

@InputType({ description: 'The invoice to (re)send to Stripe.' })
export class SyncToStripeInput {
  @Field(() => ID)
  invoiceId!: string;
}

@ObjectType()
export class SyncToStripePayload {
  @Field(() => Invoice, { nullable: true })
  invoice?: Invoice | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
