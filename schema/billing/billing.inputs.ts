import { Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { InvoiceStatus } from './billing.enums';

@InputType()
export class CloseBillingPeriodInput {
  @Field(() => DateTimeScalar, { description: 'End of the period to close: a past period boundary (the 1st of a month, 00:00 UTC).' })
  periodEnd!: Date;
}

@InputType()
export class FinalizeInvoiceInput {
  @Field(() => ID)
  invoiceId!: string;
}

@InputType()
export class VoidInvoiceInput {
  @Field(() => ID)
  invoiceId!: string;

  @Field({ description: 'Why; printed on the credit note.' })
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  reason!: string;
}

@InputType()
export class ChangeSubscriptionPlanInput {
  @Field(() => ID)
  subscriptionId!: string;

  @Field(() => ID, { description: 'Another plan of the same model, in the same currency.' })
  planId!: string;
}

@InputType({ description: 'Which invoices: all given conditions must hold.' })
export class InvoiceFilter {
  @Field(() => [InvoiceStatus], { nullable: true })
  status?: InvoiceStatus[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Invoices whose period ends after this instant.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Invoices whose period starts before this instant.' })
  to?: Date | null;

  @Field(() => ID, { nullable: true, description: 'ADMIN: one organisation\'s invoices (FINANCE always sees its own only).' })
  organizationId?: string | null;
}
