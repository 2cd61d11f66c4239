// A drain: tell every routed client to move and let it go, polling clients first (while the port
// still leads here), then, once the port is released, WebSocket clients spread over the drain
// time so they do not all come back to the front in the same instant.
import type { Server, Socket } from 'socket.io';
import { DRAIN_EVENT } from '../protocol/wire.js';

/** How long a drain waits for its polling clients to take their notice before releasing the port. */
const POLLING_NOTICE_MS = 2000;
/** After the last client was let go, how long to wait for its notice to be delivered. */
const DRAIN_FLUSH_MS = 2000;

export interface DrainSteps {
  readonly io: Server;
  readonly workerId: string;
  /** Namespaces whose sockets are not told to move (e.g. an admin UI's). */
  readonly exempt: ReadonlySet<string>;
  /** Stop accepting connections; the port is free for a replacement afterwards. */
  readonly releasePort: () => void;
}

function routedSockets(io: Server, exempt: ReadonlySet<string>): Socket[] {
  const sockets: Socket[] = [];
  for (const [name, namespace] of io._nsps) if (!exempt.has(name)) sockets.push(...namespace.sockets.values());
  return sockets;
}

function letGo(socket: Socket, workerId: string): void {
  if (!socket.connected) return;
  // Local, so that it is written now, before the disconnect: with connection state recovery on,
  // socket.io sends a plain socket.emit through the adapter, which may publish it first (Redis).
  socket.nsp.local.to(socket.id).emit(DRAIN_EVENT, { workerId });
  socket.disconnect(true);
}

export async function drainSockets(steps: DrainSteps, drainMs: number): Promise<void> {
  const { io, workerId } = steps;
  const sockets = routedSockets(io, steps.exempt);
  // Polling clients first: behind a proxy, any request made after the port is released may reach
  // the replacement, which does not know their sessions. Bounded: a silent client is not waited for.
  const polling = sockets.filter((socket) => socket.conn.transport.name === 'polling');
  await Promise.race([
    Promise.all(
      polling.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.conn.readyState === 'closed') return resolve();
            socket.conn.once('close', () => resolve());
            letGo(socket, workerId);
          }),
      ),
    ),
    new Promise<void>((resolve) => setTimeout(resolve, POLLING_NOTICE_MS).unref()),
  ]);
  steps.releasePort();
  const spread = sockets.filter((socket) => socket.connected);
  await Promise.all(
    spread.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            letGo(socket, workerId);
            resolve();
          }, (drainMs * (i + 1)) / spread.length).unref();
        }),
    ),
  );
  // Let the last notices reach polling clients (their next poll carries them) before closing.
  for (let waited = 0; io.engine.clientsCount > 0 && waited < DRAIN_FLUSH_MS; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
