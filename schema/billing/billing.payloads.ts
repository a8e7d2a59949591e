import { Field, Int, ObjectType } from 'type-graphql';
import { Organization } from '../accounts/organization.entity';
import { Model } from '../catalogue/model.entity';
import { Money } from '../common/money.type';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { UserError } from '../common/user-error.type';
import { Meter } from '../metering/meter.enum';
import { Subscription } from '../subscriptions/subscription.entity';
import { CreditNote } from './credit-note.entity';
import { Invoice } from './invoice.entity';
import { InvoiceLine } from './invoice-line.entity';

@ObjectType({ description: 'One usage line against its events; or, without a line, usage of the invoice\'s organisation and period that no line bills.' })
export class ReconciliationLine {
  @Field(() => InvoiceLine, { nullable: true, description: 'The usage line; null for usage that no line bills (then actual is 0 and the invoice does not reconcile).' })
  line!: InvoiceLine | null;

  @Field(() => Subscription, { nullable: true, description: 'The subscription the usage is billed under.' })
  subscription?: Subscription | null;

  @Field(() => Model, { nullable: true })
  model?: Model | null;

  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar, { description: 'The sum of the line\'s non-canceled events in usage_event now.' })
  expected!: bigint;

  @Field(() => BigIntScalar, { description: 'The line\'s quantity (0 without a line).' })
  actual!: bigint;
}

@ObjectType({ description: 'Every usage line recomputed from the events in one SQL statement and compared.' })
export class InvoiceReconciliation {
  @Field({ description: 'True when every usage line equals its events and every billable event of the period is on a line.' })
  ok!: boolean;

  @Field(() => DateTimeScalar)
  checkedAt!: Date;

  @Field(() => [ReconciliationLine])
  lines!: ReconciliationLine[];
}

@ObjectType({ description: 'The invoice the open period would produce now (nothing is written).' })
export class InvoicePreview {
  @Field(() => Organization)
  organization!: Organization;

  @Field()
  currency!: string;

  @Field(() => DateTimeScalar)
  periodStart!: Date;

  @Field(() => DateTimeScalar)
  periodEnd!: Date;

  @Field(() => Money)
  subtotal!: Money;

  @Field(() => Money)
  total!: Money;

  @Field(() => [InvoiceLine])
  lines!: InvoiceLine[];
}

@ObjectType({ description: 'A vendor\'s revenue from one model in one currency for a period.' })
export class VendorStatementLine {
  @Field(() => Model)
  model!: Model;

  @Field()
  currency!: string;

  @Field(() => Money, { description: 'What subscribers were invoiced for the model (finalized, paid or unpaid invoices; void ones excluded).' })
  gross!: Money;

  @Field(() => Money, { description: 'The platform\'s share.' })
  platformShare!: Money;

  @Field(() => Money, { description: 'gross - platformShare: what the vendor is paid.' })
  netPayable!: Money;
}

@ObjectType({ description: 'Per-currency totals of a statement: the sums of its lines, exactly.' })
export class VendorStatementTotal {
  @Field()
  currency!: string;

  @Field(() => Money)
  gross!: Money;

  @Field(() => Money)
  platformShare!: Money;

  @Field(() => Money)
  netPayable!: Money;
}

@ObjectType({ description: 'What a vendor earned in a period, per model.' })
export class VendorStatement {
  @Field(() => Organization)
  vendor!: Organization;

  @Field(() => DateTimeScalar)
  periodStart!: Date;

  @Field(() => DateTimeScalar)
  periodEnd!: Date;

  @Field({ description: 'The platform\'s share in percent, e.g. "20".' })
  platformSharePercent!: string;

  @Field(() => [VendorStatementLine])
  lines!: VendorStatementLine[];

  @Field(() => [VendorStatementTotal])
  totals!: VendorStatementTotal[];
}

@ObjectType()
export class CloseBillingPeriodPayload {
  @Field(() => DateTimeScalar, { nullable: true })
  periodStart?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  periodEnd?: Date | null;

  @Field(() => Int, { description: 'Draft invoices created by this close.' })
  created!: number;

  @Field(() => Int, { description: 'Drafts in their grace period, refreshed from the events.' })
  refreshed!: number;

  @Field(() => Int, { description: 'Invoices left as they were (finalized, or drafts past their grace period).' })
  unchanged!: number;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class FinalizeInvoicePayload {
  @Field(() => Invoice, { nullable: true })
  invoice?: Invoice | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class VoidInvoicePayload {
  @Field(() => Invoice, { nullable: true })
  invoice?: Invoice | null;

  @Field(() => CreditNote, { nullable: true })
  creditNote?: CreditNote | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ChangeSubscriptionPlanPayload {
  @Field(() => Subscription, { nullable: true })
  subscription?: Subscription | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the new plan takes effect: now (upgrade) or at the end of the current period (downgrade).' })
  effectiveAt?: Date | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
