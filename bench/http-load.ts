import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { closedLoop, percentile } from './bench-suite';

/** A lean keep-alive HTTP client for POST /graphql: the load generator's, and the benchmarks' own set-up calls. */
export class GraphQLClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly port: number, private readonly key: string) {}

  post(body: string): Promise<{ data?: Record<string, any>; errors?: unknown[] }> {
    return this.exchange(body).then((r) => r.result);
  }

  /** POSTs and also hands back the answer's Server-Timing header, if any. */
  exchange(body: string): Promise<{ result: { data?: Record<string, any>; errors?: unknown[] }; serverTiming?: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: this.port, path: '/graphql', method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}`, 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ result: JSON.parse(Buffer.concat(chunks).toString('utf8')), serverTiming: res.headers['server-timing'] as string | undefined });
          } catch (error) {
            reject(error);
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * GraphQL calls to one server: the bodies are sent in turn; where a body holds `uniqueMarker`,
 * each call replaces it with a new unique string (a fresh requestId per call, say).
 */
export interface HttpCalls {
  port: number;
  key: string;
  bodies: string[];
  uniqueMarker?: string;
}

/** What a load slice measured: calls answered without errors, and their latencies (ms). */
export interface LoadFigures {
  count: number;
  p50: number;
  latencies: number[];
  /** Sequential calls only: each call's latency less its `engine` Server-Timing span (the pool's own time), where it had one. */
  overEngine: number[];
  /** Sequential calls only: each call's `usage` Server-Timing span (its wait for the usage commit), where it had one. */
  usage: number[];
}

/** A span of a Server-Timing header (`engine`, `usage`), ms. */
function timingSpan(serverTiming: string | undefined, name: string): number | undefined {
  const match = serverTiming && new RegExp(`(?:^|,\\s*)${name};dur=([\\d.]+)`).exec(serverTiming);
  return match ? Number(match[1]) : undefined;
}

type LoadRequest = { id: number; calls: HttpCalls; clients: number; seconds: number; times?: number };
type LoadReply = { id: number; figures?: LoadFigures; error?: string };

/**
 * Load from another process, as partner portals call from other machines: the API's event loop
 * then carries its own work only (an in-process load generator parses every answer and
 * builds every request on the very loop it measures). The child runs closed loops of HTTP
 * keep-alive clients on request and reports what they measured.
 */
export class HttpLoadGenerator {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(f: LoadFigures): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: LoadReply) => {
      const pending = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.figures!);
    });
    child.on('exit', (code) => {
      for (const pending of this.waiting.values()) pending.reject(new Error(`load generator exited (${code})`));
      this.waiting.clear();
    });
  }

  static start(): HttpLoadGenerator {
    const self = join(__dirname, `http-load${extname(__filename)}`);
    const execArgv = self.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [];
    return new HttpLoadGenerator(fork(self, ['--load-generator'], { execArgv }));
  }

  /** `clients` closed-loop callers for `seconds`; throws when any call answered with errors. */
  closedLoop(calls: HttpCalls, clients: number, seconds: number): Promise<LoadFigures> {
    return this.send({ id: this.seq++, calls, clients, seconds });
  }

  /** `times` calls one after another (latency, one caller). */
  sequential(calls: HttpCalls, times: number): Promise<LoadFigures> {
    return this.send({ id: this.seq++, calls, clients: 1, seconds: 0, times });
  }

  stop(): void {
    this.child.kill();
  }

  private send(request: LoadRequest): Promise<LoadFigures> {
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.child.send(request);
    });
  }
}

/** The child's side: one keep-alive agent per server, kept across slices. */
function serveLoads(): void {
  const clients = new Map<string, GraphQLClient>();
  const clientFor = (calls: HttpCalls) => {
    const key = `${calls.port}|${calls.key}`;
    if (!clients.has(key)) clients.set(key, new GraphQLClient(calls.port, calls.key));
    return clients.get(key)!;
  };
  const caller = (calls: HttpCalls) => {
    const client = clientFor(calls);
    return async (i: number) => {
      let body = calls.bodies[i % calls.bodies.length];
      if (calls.uniqueMarker) body = body.replace(calls.uniqueMarker, `${i}-${randomUUID()}`);
      const { result, serverTiming } = await client.exchange(body);
      if (result.errors || !result.data) throw new Error(`load call failed: ${JSON.stringify(result.errors)}`);
      return { engineMs: timingSpan(serverTiming, 'engine'), usageMs: timingSpan(serverTiming, 'usage') };
    };
  };
  process.on('message', async (request: LoadRequest) => {
    try {
      const call = caller(request.calls);
      let figures: LoadFigures;
      if (request.times !== undefined) {
        const latencies: number[] = [];
        const overEngine: number[] = [];
        const usage: number[] = [];
        for (let i = 0; i < request.times; i++) {
          const t0 = performance.now();
          const { engineMs, usageMs } = await call(i);
          const latency = performance.now() - t0;
          latencies.push(latency);
          if (engineMs !== undefined) overEngine.push(latency - engineMs);
          if (usageMs !== undefined) usage.push(usageMs);
        }
        figures = { count: latencies.length, p50: percentile(latencies, 50), latencies, overEngine, usage };
      } else {
        const loop = await closedLoop(request.clients, request.seconds, call);
        figures = { count: loop.count, p50: loop.p50, latencies: [], overEngine: [], usage: [] };
      }
      process.send!({ id: request.id, figures } satisfies LoadReply);
    } catch (error) {
      process.send!({ id: request.id, error: (error as Error).message } satisfies LoadReply);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * A wait on I/O that does no database work: a round trip over a local TCP socket to a process of
 * its own that answers each message after the delay it asks for. The answer is read in the
 * poll phase of the event loop, as a database reply is; a timer (setTimeout) fires only at the
 * start of a loop turn, so on a busy loop it cannot hold a call as briefly as a commit does.
 */
export class DelayEcho {
  private seq = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, () => void>();

  private constructor(private readonly child: ChildProcess, private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      let at = 0;
      for (; at + 4 <= this.buffered.length; at += 4) {
        const id = this.buffered.readUInt32LE(at);
        this.waiting.get(id)?.();
        this.waiting.delete(id);
      }
      this.buffered = this.buffered.subarray(at);
    });
  }

  static async start(): Promise<DelayEcho> {
    const self = join(__dirname, `http-load${extname(__filename)}`);
    const execArgv = self.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [];
    const child = fork(self, ['--delay-echo'], { execArgv });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return new DelayEcho(child, socket);
  }

  /** Resolves when the echo process answers, `delayMs` after it read the message (whole ms, as its timers go). */
  hold(delayMs: number): Promise<void> {
    const id = (this.seq = (this.seq + 1) >>> 0);
    const message = Buffer.alloc(8);
    message.writeUInt32LE(id, 0);
    message.writeUInt32LE(Math.max(0, Math.round(delayMs * 1000)), 4);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(message);
    });
  }

  stop(): void {
    this.socket.destroy();
    this.child.kill();
  }
}

/** The echo process: answers each 8-byte message (id, delay in µs) with its id after the delay. */
function serveDelayEcho(): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      let at = 0;
      for (; at + 8 <= buffered.length; at += 8) {
        const answer = Buffer.alloc(4);
        answer.writeUInt32LE(buffered.readUInt32LE(at), 0);
        const delayUs = buffered.readUInt32LE(at + 4);
        if (delayUs < 500) socket.write(answer);
        else setTimeout(() => socket.write(answer), delayUs / 1000);
      }
      buffered = buffered.subarray(at);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--load-generator') && process.send) serveLoads();
if (process.argv.includes('--delay-echo') && process.send) serveDelayEcho();
