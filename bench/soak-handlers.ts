// The soak benchmark's handlers: the demo's, plus a `soak:probe` event that collects garbage and
// answers what the worker holds (memory, open files, timers, listeners). Bench-only: the worker
// runs it through HANDLERS; Node must be started with --expose-gc (NODE_OPTIONS).
import { readdirSync } from 'node:fs';
import type { Server } from 'socket.io';
import { register as demo } from '../src/worker/demo-handlers.js';
import type { WorkerContext } from '../src/worker/worker-context.js';

export interface SoakProbe {
  workerId: string;
  rssBytes: number;
  heapUsedBytes: number;
  openFiles: number;
  timers: number;
  /** Listeners on the process, the HTTP server, the engine and the main namespace. */
  listeners: number;
  clients: number;
}

const sumListeners = (emitter: NodeJS.EventEmitter | undefined) => (emitter ? emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0) : 0);

export function register(io: Server, context: WorkerContext): void {
  demo(io as never, context);
  io.on('connection', (socket) => {
    socket.on('soak:probe', async (ack: (probe: SoakProbe) => void) => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (typeof gc !== 'function' || typeof ack !== 'function') return;
      // Twice, with a turn between: finalizers of the first pass free more in the second.
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc();
      const memory = process.memoryUsage();
      ack({
        workerId: context.workerId,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        openFiles: readdirSync('/proc/self/fd').length,
        timers: process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length,
        listeners: sumListeners(process) + sumListeners(io.httpServer) + sumListeners(io.engine as unknown as NodeJS.EventEmitter) + sumListeners(io.of('/') as unknown as NodeJS.EventEmitter),
        // The probe's own connection included.
        clients: io.engine.clientsCount,
      });
    });
  });
}
