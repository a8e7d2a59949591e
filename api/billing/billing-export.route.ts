import { stringify } from 'csv-stringify';
import { Request, Response, Router } from 'express';
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { Role } from '../../schema/accounts/role.enum';
import { parseGlobalId } from '../../schema/common/global-id';
import { createLoaders } from '../loaders';
import type { Principal, RequestContext } from '../context';
import { ApiError, ErrorCode } from '../common/errors';
import { toMajorString } from '../common/money';
import type { Services } from '../services';
import { UsageAmounts } from './usage-amounts';

const MAX_RANGE_MS = 366 * 86_400_000;
const CHUNK = 5000;

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** Writes a row to the CSV stream, waiting when the client reads slower than we write. */
async function write(csv: ReturnType<typeof stringify>, row: unknown[]): Promise<void> {
  if (!csv.write(row)) await once(csv, 'drain');
}

/**
 * Finance exports, RFC 4180 CSV (csv-stringify), streamed: `GET /v1/invoices/:id.csv` (the lines
 * and a total row; amounts as decimal strings in the currency's exponent, lines that sum to the
 * total) and `GET /v1/usage.csv?from&to` (every event of the window, in keyset pages, with its
 * amount: its share of the rated line that bills it, see UsageAmounts; a total row per meter and
 * currency, then per currency; at most a year). FINANCE reads its organisation's, ADMIN any (`organizationId`).
 */
export function billingExportRouter(options: {
  dataSource: DataSource;
  services: Services;
  now: () => Date;
  callerOf: (req: Request) => Promise<Principal | null>;
}): Router {
  const router = Router();
  const contextOf = (principal: Principal): RequestContext => ({
    principal, db: options.dataSource.manager, loaders: createLoaders(options.dataSource), services: options.services, now: options.now, requestId: 'export',
  });
  /** The caller, when FINANCE or ADMIN; else the refusal has been sent and null is returned. */
  const financeCaller = async (req: Request, res: Response): Promise<Principal | null> => {
    let principal: Principal | null;
    try {
      principal = await options.callerOf(req);
    } catch (error) {
      if (error instanceof ApiError && error.extensions.code === ErrorCode.UNAUTHENTICATED) {
        sendError(res, 401, 'UNAUTHENTICATED', error.message);
        return null;
      }
      throw error;
    }
    if (!principal) sendError(res, 401, 'UNAUTHENTICATED', 'An API key is required: send "Authorization: Bearer <key>"');
    else if (!principal.roles.includes(Role.FINANCE) && !principal.roles.includes(Role.ADMIN)) sendError(res, 403, 'FORBIDDEN', 'Exports need the FINANCE role');
    else return principal;
    return null;
  };

  // NOTE: the id may be a bare uuid or a global id, URL-encoded or as is (its slashes included).
  router.get(/^\/v1\/invoices\/(.+)\.csv$/, async (req, res, next) => {
    try {
      const principal = await financeCaller(req, res);
      if (!principal) return;
      const raw = decodeURIComponent(String((req.params as Record<string, string>)[0]));
      const match = /^(?:gid:\/\/?marketplace\/Invoice\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(raw);
      const id = match ? match[1] : null;
      const ctx = contextOf(principal);
      const invoice = id ? await options.services.billing.invoices.findVisible(ctx, id) : null;
      if (!invoice) return sendError(res, 404, 'NOT_FOUND', 'Invoice not found');
      const lines = await options.services.billing.invoices.lines(ctx, invoice);
      const number = invoice.number ?? `DRAFT-${invoice.id.slice(0, 8).toUpperCase()}`;
      res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${number}.csv"`);
      const csv = stringify({ header: true, columns: ['invoice', 'status', 'line', 'description', 'kind', 'meter', 'quantity', 'billable_units', 'unit_price', 'service_period_start', 'service_period_end', 'amount', 'currency'], record_delimiter: 'windows' });
      csv.pipe(res);
      for (const l of lines) {
        await write(csv, [number, invoice.status, l.position + 1, l.description, l.kind, l.meter ?? '', l.quantity.toString(), l.billableUnits.toString(), l.unitPrice ?? '',
          l.servicePeriodStart.toISOString(), l.servicePeriodEnd.toISOString(), toMajorString(l.amountMinor, invoice.currency), invoice.currency]);
      }
      await write(csv, [number, invoice.status, '', 'Total', '', '', '', '', '', invoice.periodStart.toISOString(), invoice.periodEnd.toISOString(), toMajorString(invoice.totalMinor, invoice.currency), invoice.currency]);
      csv.end();
    } catch (error) {
      next(error);
    }
  });

  router.get('/v1/usage.csv', async (req, res, next) => {
    try {
      const principal = await financeCaller(req, res);
      if (!principal) return;
      const from = new Date(String(req.query.from ?? ''));
      const to = new Date(String(req.query.to ?? ''));
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return sendError(res, 400, 'BAD_USER_INPUT', 'from and to must be ISO 8601 instants, e.g. ?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z');
      if (!(from < to)) return sendError(res, 400, 'BAD_USER_INPUT', 'from must be before to');
      if (to.getTime() - from.getTime() > MAX_RANGE_MS) return sendError(res, 400, 'BAD_USER_INPUT', 'The range is over a year; export at most 366 days at a time');
      const isAdmin = principal.roles.includes(Role.ADMIN);
      const requested = req.query.organizationId ? parseGlobalId(String(req.query.organizationId)) : null;
      if (req.query.organizationId && (!requested || requested.typeName !== 'Organization')) return sendError(res, 400, 'BAD_USER_INPUT', 'organizationId is not an Organization id');
      const organizationId = isAdmin && requested ? requested.rowId : isAdmin ? null : principal.organizationId;
      const amounts = await UsageAmounts.load(options.dataSource.manager, options.services.billing.drafts, from, to, organizationId);
      res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="usage.csv"');
      const csv = stringify({ header: true, columns: ['occurred_at', 'event_id', 'organization_id', 'subscription_id', 'model_id', 'meter', 'quantity', 'idempotency_key', 'canceled_at', 'amount', 'currency'], record_delimiter: 'windows' });
      csv.pipe(res);
      /** Per (meter, currency; '' for usage no line bills): counted quantity and amount; per currency: amount. */
      const totals = new Map<string, { meter: string; currency: string; quantity: bigint; amountMinor: bigint }>();
      const grand = new Map<string, bigint>();
      let after: [string, string] = [from.toISOString(), '00000000-0000-0000-0000-000000000000'];
      for (;;) {
        const rows: Array<{ at: string; id: string; organization_id: string; subscription_id: string | null; model_id: string; meter: string; quantity: string; idempotency_key: string; canceled_at: Date | null }> =
          await options.dataSource.query(
            `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, id, organization_id, subscription_id, model_id, meter, quantity::text AS quantity, idempotency_key, canceled_at
             FROM usage_event WHERE occurred_at >= $1 AND occurred_at < $2 AND (occurred_at, id) > ($3::timestamptz, $4::uuid)${organizationId ? ' AND organization_id = $6' : ''}
             ORDER BY occurred_at, id LIMIT $5`,
            organizationId ? [from, to, after[0], after[1], CHUNK, organizationId] : [from, to, after[0], after[1], CHUNK]);
        for (const r of rows) {
          const quantity = BigInt(r.quantity);
          const amount = amounts.next({ organizationId: r.organization_id, subscriptionId: r.subscription_id, modelId: r.model_id, meter: r.meter, quantity, occurredAt: new Date(r.at), canceled: !!r.canceled_at });
          if (!r.canceled_at) {
            const key = `${r.meter}/${amount?.currency ?? ''}`;
            const total = totals.get(key) ?? { meter: r.meter, currency: amount?.currency ?? '', quantity: 0n, amountMinor: 0n };
            totals.set(key, total);
            total.quantity += quantity;
            if (amount) {
              total.amountMinor += amount.amountMinor;
              grand.set(amount.currency, (grand.get(amount.currency) ?? 0n) + amount.amountMinor);
            }
          }
          await write(csv, [r.at, r.id, r.organization_id, r.subscription_id ?? '', r.model_id, r.meter, r.quantity, r.idempotency_key, r.canceled_at ? new Date(r.canceled_at).toISOString() : '',
            amount ? toMajorString(amount.amountMinor, amount.currency) : '', amount?.currency ?? '']);
        }
        if (rows.length < CHUNK) break;
        after = [rows[rows.length - 1].at, rows[rows.length - 1].id];
      }
      for (const total of [...totals.values()].sort((a, b) => (a.meter + a.currency < b.meter + b.currency ? -1 : 1))) {
        await write(csv, ['Total', '', '', '', '', total.meter, total.quantity.toString(), '', '', total.currency ? toMajorString(total.amountMinor, total.currency) : '', total.currency]);
      }
      for (const [currency, amountMinor] of [...grand].sort()) await write(csv, ['Total', '', '', '', '', '', '', '', '', toMajorString(amountMinor, currency), currency]);
      csv.end();
    } catch (error) {
      next(error);
    }
  });
  return router;
}
