import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

/** The id of the request being served (set by the request-log middleware), for every log line written meanwhile. */
export const requestIdScope = new AsyncLocalStorage<string>();

/** The server's structured logger (JSON lines on stdout); lines written while serving a request carry its `requestId`. */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino({
    level,
    base: { service: 'marketplace-api' },
    mixin() {
      const requestId = requestIdScope.getStore();
      return requestId ? { requestId } : {};
    },
  }, destination);
}

export type Logger = pino.Logger;
