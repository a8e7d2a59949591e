import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { ErrorCode } from '../common/errors';

/** Paths answered while draining: liveness and metrics (the process still runs, and can be watched). */
const ALWAYS_ANSWERED = new Set(['/health/live', '/metrics']);

/**
 * Graceful shutdown's front door (Kubernetes' termination contract). Counts the requests in
 * flight; once `drain()` is called, every new request is refused with 503, `Retry-After` and
 * SHUTTING_DOWN (/health/ready included, so load balancers stop sending), every answer carries
 * `Connection: close` (a client never reuses a socket that is about to close), and `drain()`
 * resolves when the last call in flight has answered, or when its time is up.
 */
export class RequestDrain {
  /**
   * [0]: the calls in flight, shared with the engine's training workers (notified at 0): on a
   * CPU device a training step waits while a call is being answered (EngineConfig.callsInFlight).
   */
  readonly callsInFlight = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private draining = false;
  private idle: Array<() => void> = [];

  get isDraining(): boolean {
    return this.draining;
  }

  get requestsInFlight(): number {
    return Atomics.load(this.callsInFlight, 0);
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (ALWAYS_ANSWERED.has(req.path)) return next();
      if (this.draining) {
        // NOTE: the body is read first: closing a socket with unread bytes resets it.
        const refuse = () => {
          res.status(503).setHeader('Retry-After', '1');
          res.setHeader('Connection', 'close');
          res.json({ errors: [{ message: 'The server is shutting down; retry (another replica will answer)', extensions: { code: ErrorCode.SHUTTING_DOWN } }] });
        };
        if (req.readableEnded || req.complete) refuse();
        else req.once('end', refuse).resume();
        return;
      }
      Atomics.add(this.callsInFlight, 0, 1);
      let done = false;
      const finished = () => {
        if (done) return;
        done = true;
        if (Atomics.sub(this.callsInFlight, 0, 1) !== 1) return;
        Atomics.notify(this.callsInFlight, 0);
        for (const wake of this.idle.splice(0)) wake();
      };
      res.once('finish', finished);
      res.once('close', finished);
      // NOTE: a call that started before the drain answers with Connection: close.
      const writeHead = res.writeHead;
      res.writeHead = ((...args: Parameters<Response['writeHead']>) => {
        if (this.draining && !res.headersSent) res.setHeader('Connection', 'close');
        return writeHead.apply(res, args);
      }) as Response['writeHead'];
      next();
    };
  }

  /** Refuses new work from now on; resolves true when every call in flight has answered, false after `withinMs`. */
  async drain(withinMs: number): Promise<boolean> {
    this.draining = true;
    if (this.requestsInFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), withinMs); }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  /**
   * Waits, up to `maxMs`, for clients to close their idle keep-alive sockets themselves (they do
   * before the server's keep-alive timeout, which they are told); meanwhile a request on one is
   * refused cleanly. NOTE: closing an idle socket from the server races a client that is just
   * sending on it, and that client sees a reset; this wait is what avoids it.
   */
  async lingerUntilClosed(server: Server, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    const connections = () => new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
    while (Date.now() < until && (await connections()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
