// Limits on every public HTTP port (the front, each worker, single-port mode), per connection:
// - a socket must send a complete request head within the headers limit, from its connection and
//   again after each response: it gets a 408 if it sent anything, and is closed either way. A
//   timer per socket, because Node's own check runs on an interval and misses sockets (it is not
//   armed for connections a server is handed, and lets a half-sent head sit far longer than the
//   limit on some Node lines);
// - a client address holds at most a number of connections at once: over that, a connection is
//   closed at once, before a byte is read.
// Refusals are logged at most once a second. WebSocket upgrades and requests in progress are not
// timed here (requestTimeout and socket.io's heartbeats cover them).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { onceEvery } from './once-a-second.js';

export interface ConnectionGuardOptions {
  /** A request head must be complete within this long. @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** Connections one client address may hold at once; 0: no limit. @default 1000 */
  readonly maxPerAddress?: number;
  /** The bytes written before closing a socket that sent part of a request. */
  readonly timeoutResponse: string;
  readonly logger: Logger;
  /** Told of every refusal, e.g. to count it. */
  readonly onRefused?: (reason: 'headers-timeout' | 'too-many-connections') => void;
}

export interface ConnectionGuard {
  /** Connections open now per address (for tests and metrics). */
  connectionsOf(address: string): number;
}

const kTimer = Symbol('sioroute.headersTimer');
type GuardedSocket = Socket & { [kTimer]?: NodeJS.Timeout | undefined };

export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuard {
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const maxPerAddress = options.maxPerAddress ?? 1000;
  const perAddress = new Map<string, number>();
  const logCapped = onceEvery(options.logger, 1000, 'a client address is over its connection limit; closing its new connections');
  const logSlow = onceEvery(options.logger, 1000, 'a client sent no complete request head in time; closing');

  const disarm = (socket: GuardedSocket) => {
    clearTimeout(socket[kTimer]);
    socket[kTimer] = undefined;
  };
  const arm = (socket: GuardedSocket) => {
    disarm(socket);
    if (socket.destroyed) return;
    const readBefore = socket.bytesRead;
    const timer = setTimeout(() => {
      socket[kTimer] = undefined;
      options.onRefused?.('headers-timeout');
      logSlow({ headersTimeoutMs });
      // Bytes of a head that never completed: answer 408, then close (bounded, the peer may not
      // read). A silent socket is just closed.
      if (socket.bytesRead > readBefore && socket.writable) {
        socket.end(options.timeoutResponse);
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    }, headersTimeoutMs);
    timer.unref();
    socket[kTimer] = timer;
  };

  // In front of the server's own connection listeners (the HTTP parser's): an over-limit
  // connection is closed before a byte of it is read. Installed before the server listens.
  const inner = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: GuardedSocket) => {
    const address = socket.remoteAddress ?? '';
    const open = (perAddress.get(address) ?? 0) + 1;
    if (maxPerAddress > 0 && open > maxPerAddress) {
      options.onRefused?.('too-many-connections');
      logCapped({ maxPerAddress });
      socket.destroy();
      return;
    }
    perAddress.set(address, open);
    socket.once('close', () => {
      disarm(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    arm(socket);
    for (const listener of inner) listener.call(server, socket);
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as GuardedSocket;
    disarm(socket);
    // Keep-alive: the next head is timed from the end of this answer.
    res.once('finish', () => {
      if (!socket.destroyed) arm(socket);
    });
  });
  server.prependListener('upgrade', (req: IncomingMessage) => disarm(req.socket as GuardedSocket));

  return { connectionsOf: (address) => perAddress.get(address) ?? 0 };
}
