import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context';

/**
 * Where a request's time went, for the `Server-Timing` response header (W3C Server Timing):
 * e.g. `engine;dur=84.213;desc="model queue and compute", usage;dur=1.802;desc="usage commit"`.
 * A partner sees how much of a call's latency was the model and how much the platform.
 */
export class ServerTiming {
  private readonly entries: Array<{ name: string; durationMs: number; description: string }> = [];

  /** Adds a span; several with one name add up. */
  add(name: string, durationMs: number, description: string): void {
    const existing = this.entries.find((e) => e.name === name);
    if (existing) existing.durationMs += durationMs;
    else this.entries.push({ name, durationMs, description });
  }

  /** The header's value, or null when nothing was timed. */
  header(): string | null {
    if (this.entries.length === 0) return null;
    return this.entries.map((e) => `${e.name};dur=${e.durationMs.toFixed(3)};desc="${e.description}"`).join(', ');
  }
}

/** Sends each GraphQL response's ServerTiming as its `Server-Timing` header. */
export function serverTimingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const header = contextValue.serverTiming?.header();
          if (header) response.http.headers.set('server-timing', header);
        },
      };
    },
  };
}
