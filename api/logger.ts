import pino from 'pino';

/** The server's structured logger (JSON lines on stdout). */
export function createLogger(level: string) {
  return pino({ level, base: { service: 'marketplace-api' } });
}

export type Logger = pino.Logger;
