// One pino logger per process. Tokens and secrets are redacted wherever they appear in log objects;
// client addresses are never logged raw (the front logs no per-request lines).
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/settings.js';

export const REDACTED_PATHS = [
  'token', '*.token', '*.*.token',
  'secret', '*.secret', 'routingSecret', '*.routingSecret',
  'auth', '*.auth', 'handshake.auth',
  'req.headers.cookie', 'req.headers.authorization',
];

export function createLogger(level: LogLevel, bindings: Record<string, unknown>, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { pid: process.pid, ...bindings }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
