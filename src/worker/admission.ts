// Admission: a socket joins a namespace only with a valid routing token for this worker.
// Refusals carry a stable code in err.data, so clients branch on the code, not on the message.
import type { Socket } from 'socket.io';
import type { AdmissionErrorCode, AdmissionErrorData } from '../protocol/wire.js';
import { verifyToken } from '../routing/token.js';

export interface AdmissionOptions {
  readonly workerId: string;
  readonly secret: string;
  /** Epoch milliseconds; injected so tests can move time. */
  readonly now: () => number;
  /** True while the worker drains: new sessions are refused with WORKER_DRAINING. */
  readonly isDraining?: () => boolean;
  /** Told of every refusal, e.g. for counting by code; never given the token. */
  readonly onRefused?: (code: AdmissionErrorData['code']) => void;
  /** Told of every admitted socket. */
  readonly onAdmitted?: () => void;
}

export type AdmissionError = Error & { data: AdmissionErrorData };

export function createAdmission(options: AdmissionOptions) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
    if (options.isDraining?.()) {
      refuse(next, options, 'WORKER_DRAINING', 'this worker is draining: fetch a new endpoint from the front');
      return;
    }
    const check = verifyToken(token, { secret: options.secret, workerId: options.workerId, now: options.now() });
    if (check.ok) {
      options.onAdmitted?.();
      next();
      return;
    }
    refuse(next, options, check.code, check.message);
  };
}

function refuse(next: (err?: Error) => void, options: AdmissionOptions, code: AdmissionErrorCode, message: string): void {
  options.onRefused?.(code);
  const error = new Error(message) as AdmissionError;
  error.data = { code };
  next(error);
}
