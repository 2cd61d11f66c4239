// Memory per connection: engine.io keeps the HTTP request of every session's handshake for as long
// as the session lives, twice over: as `socket.conn.request`, and, for a WebSocket, through the
// 'close' listener its upgrade response leaves on the TCP socket. Setting `request = null`, the
// tip in socket.io's docs, therefore frees nothing, and it empties every handshake's headers.
// socket.io reads four things of that request, when a socket joins a namespace: its headers, url,
// parsed query and whether its connection is encrypted. Once the WebSocket is up (or a polling
// session is made), this puts a small stand-in holding exactly those (and the TCP socket, which is
// alive anyway) in the request's place, in both spots; the IncomingMessage, its stream state and
// raw header strings go. Opt-in: `socket.request` becomes the stand-in, so what a middleware stored
// on the request (e.g. express-session's `request.session`) is gone afterwards.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

/** What remains of a handshake's request: what socket.io reads, and the TCP socket. */
export interface HandshakeRequest {
  readonly headers: IncomingMessage['headers'];
  readonly url: string | undefined;
  readonly method: string | undefined;
  readonly _query: unknown;
  readonly socket: NetSocket;
  readonly connection: NetSocket;
}

type EngineRequest = IncomingMessage & { _query?: unknown; [kStandIn]?: HandshakeRequest };
/** engine.io's stand-in response of an upgrade: its `req` is the request. */
type UpgradeResponse = { req: unknown; writeHead: (...args: unknown[]) => unknown };
const kStandIn = Symbol('sioroute.handshakeRequest');

function standIn(req: EngineRequest): HandshakeRequest {
  return (req[kStandIn] ??= { headers: req.headers, url: req.url, method: req.method, _query: req._query, socket: req.socket, connection: req.socket });
}

/** After the upgrade's head is written, its response holds the stand-in instead of the request. */
function releaseAfterHead(upgrade: UpgradeResponse, stand: HandshakeRequest): void {
  const writeHead = upgrade.writeHead;
  // Nothing here may refer to the request: the response lives as long as the connection.
  upgrade.writeHead = function (this: UpgradeResponse, ...args: unknown[]) {
    upgrade.writeHead = writeHead;
    // Later: other middlewares may still set headers from their own writeHead wrappers.
    setImmediate(() => (upgrade.req = stand));
    return writeHead.apply(this, args);
  };
}

/** Replace engine.io's handshake requests of `io` by stand-ins (see above). Install before clients connect. */
export function releaseHandshakeRequests(io: Server): void {
  // An upgrade's response is only used until engine.io writes the head; after that, nothing reads
  // its request (engine.io reads the response headers from the request itself, in 'headers').
  io.engine.use((req: EngineRequest, res: ServerResponse | UpgradeResponse, next: (error?: unknown) => void) => {
    if (!(res instanceof ServerResponse)) releaseAfterHead(res, standIn(req));
    next();
  });
  io.engine.on('connection', (raw: { request: EngineRequest | HandshakeRequest }) => {
    raw.request = standIn(raw.request as EngineRequest);
  });
}
