import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestDrain } from '../../../api/http/request-drain.middleware';

// The drain's count of calls in flight is shared with the engine's training workers (a CPU
// training step waits while it is not 0), so it must rise for every call as it starts and
// fall when its answer is sent or its socket closes: never left behind, never counted twice.

describe('RequestDrain: the calls in flight, as the engine reads them', () => {
  const drain = new RequestDrain();
  const app = express();
  app.use(drain.middleware());
  let release: () => void = () => undefined;
  app.get('/slow', (_req, res) => void (release = () => res.json({ ok: true })));
  app.get('/health/live', (_req, res) => void res.json({ live: drain.callsInFlight[0] }));
  const server = http.createServer(app);
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('counts a call from its start to its answer; liveness probes are not counted', async () => {
    expect(drain.callsInFlight[0]).toBe(0);
    const answer = fetch(`${base}/slow`).then((r) => r.json());
    await until(() => drain.callsInFlight[0] === 1);
    expect(drain.callsInFlight[0]).toBe(1);
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ live: 1 });
    release();
    expect(await answer).toEqual({ ok: true });
    await until(() => drain.callsInFlight[0] === 0);
    expect(drain.callsInFlight[0]).toBe(0);
    expect(drain.requestsInFlight).toBe(0);
  });

  it('uncounts a call whose client went away before its answer, once', async () => {
    const controller = new AbortController();
    const answer = fetch(`${base}/slow`, { signal: controller.signal }).catch((error: Error) => error.name);
    await until(() => drain.callsInFlight[0] === 1);
    controller.abort();
    expect(await answer).toBe('AbortError');
    await until(() => drain.callsInFlight[0] === 0);
    expect(drain.callsInFlight[0]).toBe(0);
    release(); // the answer now goes nowhere: no second decrement
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drain.callsInFlight[0]).toBe(0);
  });
});
