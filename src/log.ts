// Structured logs (pino). Tokens, passwords and secrets are redacted wherever they appear.
import { type Logger, pino } from 'pino';

export type { Logger };

const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'passwordProfile',
  '*.passwordProfile',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'entra-backup' } };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
