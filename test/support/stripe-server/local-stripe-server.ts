import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';
import { decodeFormBody } from './form-body';
import { Params, StripeApiError, StripeObject, StripeStore } from './stripe-store';

/** How the next requests fail: `before` = 500 without doing anything; `lost` = done (and kept for its idempotency key), but the answer is a 500. */
export type FailureMode = 'before' | 'lost';

interface StoredAnswer {
  route: string;
  bodyHash: string;
  status: number;
  body: unknown;
}

type Handler = (params: Params, id: string | undefined, query: URLSearchParams) => StripeObject | Record<string, unknown>;

/** A webhook POST made by {@link LocalStripeServer.deliver}: the event and the endpoint's answer. */
export interface Delivery {
  event: StripeObject;
  status: number;
  body: string;
}

/**
 * A small Stripe-compatible HTTP server for tests, reached by the real `stripe` SDK
 * (`host`/`port`/`protocol`). It keeps customers, products, prices, invoice items and invoices in
 * memory, honours `Idempotency-Key` (same key, same body: the first answer again; same key,
 * other body: 400 `idempotency_error`), fails or goes down on demand, and sends its events to a
 * webhook URL signed with `stripe.webhooks.generateTestHeaderString`.
 */
export class LocalStripeServer {
  readonly store = new StripeStore();
  readonly secretKey = 'sk_test_local';
  readonly webhookSecret = 'whsec_local_test_secret';
  /** Every API request received (method and path), including refused ones. */
  readonly requests: string[] = [];
  private readonly idempotent = new Map<string, StoredAnswer>();
  private readonly sockets = new Set<Socket>();
  private failures: { remaining: number; mode: FailureMode } = { remaining: 0, mode: 'before' };
  private isDown = false;
  private readonly routes: Array<[string, RegExp, Handler]> = [];
  private server!: http.Server;
  /** The SDK that talks to this server (for tests that act as Stripe's dashboard). */
  sdk!: Stripe;
  port = 0;

  private constructor() {
    this.defineRoutes();
  }

  static async start(): Promise<LocalStripeServer> {
    const local = new LocalStripeServer();
    local.server = http.createServer((req, res) => void local.handle(req, res));
    local.server.on('connection', (socket) => {
      if (local.isDown) return void socket.destroy();
      local.sockets.add(socket);
      socket.on('close', () => local.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => local.server.listen(0, '127.0.0.1', resolve));
    local.port = (local.server.address() as AddressInfo).port;
    local.sdk = new Stripe(local.secretKey, { ...local.sdkOptions(), maxNetworkRetries: 0 });
    return local;
  }

  /** `STRIPE_API_BASE` for the app. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  sdkOptions(): { host: string; port: number; protocol: 'http' } {
    return { host: '127.0.0.1', port: this.port, protocol: 'http' };
  }

  /** The next `count` API requests answer 500 (see {@link FailureMode}). */
  failNext(count: number, mode: FailureMode = 'before'): void {
    this.failures = { remaining: count, mode };
  }

  /** Refuses every connection (the SDK sees a connection error) until {@link up}. */
  down(): void {
    this.isDown = true;
    for (const socket of this.sockets) socket.destroy();
  }

  up(): void {
    this.isDown = false;
  }

  /** Objects of each kind, for "zero duplicates" assertions. */
  counts(): Record<'customers' | 'products' | 'prices' | 'invoiceitems' | 'invoices', number> {
    const s = this.store;
    return { customers: s.count('customer'), products: s.count('product'), prices: s.count('price'), invoiceitems: s.count('invoiceitem'), invoices: s.count('invoice') };
  }

  /** Events so far, optionally of one invoice (by `data.object.id`). */
  events(objectId?: string): StripeObject[] {
    return this.store.events.filter((e) => !objectId || e.data.object.id === objectId);
  }

  /** The `Stripe-Signature` header for `payload`, as Stripe signs it (or with another secret or time). */
  signatureFor(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
    return this.sdk.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? this.webhookSecret, timestamp: options.timestamp });
  }

  /** POSTs each event, signed, to `url`, one after another in the order given. */
  async deliver(url: string, events: StripeObject[]): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const event of events) {
      const payload = JSON.stringify(event, null, 2);
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': this.signatureFor(payload) }, body: payload });
      deliveries.push({ event, status: response.status, body: await response.text() });
    }
    return deliveries;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private defineRoutes(): void {
    const s = this.store;
    const list = (object: string, filter: (o: StripeObject, q: URLSearchParams) => boolean) => (_p: Params, _id: string | undefined, q: URLSearchParams) => {
      let data = s.list(object, (o) => filter(o, q)).map((o) => s.view(o)).reverse();
      const after = data.findIndex((o) => o.id === q.get('starting_after'));
      if (after >= 0) data = data.slice(after + 1);
      const limit = Number(q.get('limit') ?? 10);
      return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: `/v1/${object}s` };
    };
    const crud = (path: string, object: string, filter: (o: StripeObject, q: URLSearchParams) => boolean) => {
      this.route('POST', `/v1/${path}`, (p) => s.create(object, p));
      this.route('GET', `/v1/${path}/:id`, (_p, id) => s.view(s.getOrThrow(object, id!)));
      this.route('GET', `/v1/${path}`, list(object, filter));
    };
    const param = (name: string) => (o: StripeObject, q: URLSearchParams) => !q.get(name) || o[name] === q.get(name);
    crud('customers', 'customer', () => true);
    crud('products', 'product', () => true);
    crud('prices', 'price', param('product'));
    crud('invoiceitems', 'invoiceitem', param('invoice'));
    crud('invoices', 'invoice', param('customer'));
    this.route('POST', '/v1/invoices/:id/finalize', (_p, id) => s.finalize(id!));
    this.route('POST', '/v1/invoices/:id/pay', (p, id) => s.pay(id!, p));
    this.route('POST', '/v1/invoices/:id/void', (_p, id) => s.void(id!));
  }

  private route(method: string, pattern: string, handler: Handler): void {
    this.routes.push([method, new RegExp(`^${pattern.replace(':id', '([^/]+)')}$`), handler]);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${this.requests.length}` });
      res.end(JSON.stringify(json));
    };
    if (this.isDown) return void req.socket.destroy();
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const failing = this.failures.remaining > 0 ? this.failures.mode : null;
    if (failing) this.failures.remaining -= 1;
    if (failing === 'before') return send(500, { error: { type: 'api_error', message: 'Local Stripe server: injected failure' } });
    const answer = this.answer(method, url, body, String(req.headers['idempotency-key'] ?? ''));
    if (failing === 'lost') return send(500, { error: { type: 'api_error', message: 'Local Stripe server: injected failure after the request was done' } });
    send(answer.status, answer.body);
  }

  /** Runs the request, or replays the first answer of its idempotency key. */
  private answer(method: string, url: URL, body: string, idempotencyKey: string): { status: number; body: unknown } {
    const route = `${method} ${url.pathname}`;
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const stored = method === 'POST' && idempotencyKey ? this.idempotent.get(idempotencyKey) : undefined;
    if (stored) {
      if (stored.route !== route || stored.bodyHash !== bodyHash) {
        return { status: 400, body: { error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.` } } };
      }
      return { status: stored.status, body: stored.body };
    }
    const result = this.run(method, url, body);
    // NOTE: as on Stripe, only a request that ran is kept for its key (not one refused by validation).
    const ran = result.status === 200 || result.status === 402;
    if (method === 'POST' && idempotencyKey && ran) this.idempotent.set(idempotencyKey, { route, bodyHash, ...result });
    return result;
  }

  private run(method: string, url: URL, body: string): { status: number; body: unknown } {
    for (const [m, pattern, handler] of this.routes) {
      const match = m === method ? pattern.exec(url.pathname) : null;
      if (!match) continue;
      try {
        return { status: 200, body: handler(decodeFormBody(body), match[1], url.searchParams) };
      } catch (error) {
        if (!(error instanceof StripeApiError)) throw error;
        return { status: error.status, body: { error: { type: error.type, code: error.code, message: error.message, param: error.param } } };
      }
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname})` } } };
  }
}
