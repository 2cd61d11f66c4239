// At-least-once emits: each waits for its ack, and is sent again (on whatever connection is live
// then) when the ack times out or the connection is lost, up to a number of resends.
import type { Socket } from 'socket.io-client';
import { errorMessage } from './resolve-endpoint.js';

interface PendingEmit {
  event: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  sends: number;
  inFlight: boolean;
}

export interface AckQueueOptions {
  /** Wait this long for an ack before sending again. */
  readonly ackTimeoutMs: number;
  /** Sends after the first before the promise rejects. */
  readonly maxResends: number;
}

export class AckQueue {
  readonly #options: AckQueueOptions;
  #pending: PendingEmit[] = [];
  #socket: Socket | null = null;

  constructor(options: AckQueueOptions) {
    this.#options = options;
  }

  add(event: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ event, args, resolve, reject, sends: 0, inFlight: false });
      this.flush(this.#socket);
    });
  }

  /** Send everything not in flight on this socket, if it is connected (called on every connect). */
  flush(socket: Socket | null): void {
    this.#socket = socket;
    if (!socket?.connected) return;
    for (const p of this.#pending) if (!p.inFlight) this.#send(socket, p);
  }

  /** Reject everything still waiting (the client was closed). */
  rejectAll(reason: string): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(new Error(reason));
  }

  #send(socket: Socket, p: PendingEmit): void {
    p.inFlight = true;
    p.sends += 1;
    socket
      .timeout(this.#options.ackTimeoutMs)
      .emitWithAck(p.event, ...p.args)
      .then(
        (value: unknown) => {
          this.#pending = this.#pending.filter((q) => q !== p);
          p.resolve(value);
        },
        (err: unknown) => {
          p.inFlight = false;
          if (!this.#pending.includes(p)) return; // already rejected by rejectAll()
          if (p.sends > this.#options.maxResends) {
            this.#pending = this.#pending.filter((q) => q !== p);
            p.reject(err instanceof Error ? err : new Error(errorMessage(err)));
            return;
          }
          // Still connected (the ack timed out): send again now. Otherwise the next connect will.
          this.flush(this.#socket);
        },
      );
  }
}
