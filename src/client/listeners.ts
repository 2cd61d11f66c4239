// The listeners of a routed socket: server events, attached to every connection it opens, and its
// own lifecycle events, fired by it. A throwing listener never stalls the connection life cycle.
import { LIFECYCLE, type Handler } from './routed-socket-options.js';

/** Run a listener; what it throws surfaces asynchronously instead of breaking the caller. */
export function guarded(run: () => void): void {
  try {
    run();
  } catch (err) {
    setTimeout(() => {
      throw err;
    });
  }
}

export class Listeners {
  readonly #handlers = new Map<string, Set<Handler>>();

  /** Adds once; `attach` runs for a new server-event listener (to put it on the live connection). */
  add(event: string, handler: Handler, attach: (event: string, handler: Handler) => void): void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    if (set.has(handler)) return;
    set.add(handler);
    if (!LIFECYCLE.has(event)) attach(event, handler);
  }

  /** Removes one listener, or all of the event; `detach` runs for each server-event listener removed. */
  remove(event: string, handler: Handler | undefined, detach: (event: string, handler: Handler) => void): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    for (const h of handler ? [handler] : [...set]) {
      if (set.delete(h) && !LIFECYCLE.has(event)) detach(event, h);
    }
  }

  /** Every server-event listener, to put on a new connection. */
  *serverEvents(): Generator<[string, Handler]> {
    for (const [event, set] of this.#handlers) if (!LIFECYCLE.has(event)) for (const h of set) yield [event, h];
  }

  fire(event: string, ...args: unknown[]): void {
    for (const h of this.#handlers.get(event) ?? []) guarded(() => h(...args));
  }
}
