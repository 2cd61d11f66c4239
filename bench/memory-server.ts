// A server process for bench/memory.ts that holds idle WebSocket connections at one layer of the
// stack, forked with --expose-gc so that it can report its heap after a full collection:
//   tcp        the TCP socket an HTTP upgrade leaves (a 101 written, the socket kept)
//   ws         + the `ws` package's WebSocket
//   eio        + engine.io (its default options)
//   sio        + socket.io: bare socket.io, the options that matter as a sioroute worker's
//              (bench/peers/plain-worker.ts, the same process as the data-path baseline)
//   sio-noreq  sio with the memory tip of socket.io's docs: raw.request = null at engine.io's
//              'connection' (the socket's handshake is built later, with empty headers)
//   sio-release  sio with sioroute's releaseHandshakeRequests (src/worker/release-requests.ts)
//   worker     a sioroute worker as `sioroute start` makes it (createWorkerServer, the demo
//              handlers, recovery on), alone: no supervisor, so socket.io's in-memory adapter
// Commands over IPC (bench/ipc-child.ts): `listen`, `measure`.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { attach } from 'engine.io';
import { WebSocketServer } from 'ws';
import { pino } from 'pino';
import { signToken } from '../src/routing/token.js';
import { register } from '../src/worker/demo-handlers.js';
import { createWorkerServer } from '../src/worker/create-worker-server.js';
import { releaseHandshakeRequests } from '../src/worker/release-requests.js';
import { attachDemo } from './peers/plain-worker.js';

export const LAYERS = ['tcp', 'ws', 'eio', 'sio', 'sio-noreq', 'sio-release', 'worker'] as const;
export type Layer = (typeof LAYERS)[number];
export type MemoryServerCommand = { type: 'listen'; layer: Layer } | { type: 'measure' };
export type MemoryServerReply =
  | { id: number; type: 'listening'; port: number; pid: number; token: string }
  /** After two full collections. */
  | { id: number; type: 'measured'; connections: number; heapUsed: number; external: number; arrayBuffers: number };

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const gc = (globalThis as { gc?: () => void }).gc;
let connections = (): number => 0;

/** The embedded default's recovery window (RECOVERY_SECONDS). */
const RECOVERY_MS = 120_000;
const SECRET = 'memory-benchmark-secret-of-at-least-32-bytes';

async function startWorker(): Promise<{ port: number; token: string }> {
  const workerId = 'm0';
  const server = createWorkerServer({
    workerId, index: 0, host: '127.0.0.1', port: 0, secret: SECRET, allowedOrigins: [], frontPort: undefined,
    logger: pino({ level: 'silent' }), register, recoveryMs: RECOVERY_MS,
  });
  connections = () => server.clientCount();
  const port = await server.start();
  return { port, token: signToken({ workerId, expiresAt: Date.now() + 3_600_000 }, SECRET) };
}

function listen(layer: Layer): Promise<number> {
  const http = createServer();
  if (layer === 'tcp') {
    const kept = new Set<Socket>();
    http.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${WS_GUID}`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      kept.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => kept.delete(socket));
    });
    connections = () => kept.size;
  } else if (layer === 'ws') {
    const wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => ws.terminate())));
    connections = () => wss.clients.size;
  } else if (layer === 'eio') {
    const engine = attach(http, { path: '/socket.io/' });
    connections = () => engine.clientsCount;
  } else {
    const io = attachDemo(http, 'bare');
    if (layer === 'sio-noreq') io.engine.on('connection', (raw: { request: unknown }) => (raw.request = null));
    if (layer === 'sio-release') releaseHandshakeRequests(io);
    connections = () => io.engine.clientsCount;
  }
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
}

process.on('message', (command: MemoryServerCommand & { id: number }) => {
  void (async (): Promise<MemoryServerReply> => {
    if (command.type === 'listen') {
      const { port, token } = command.layer === 'worker' ? await startWorker() : { port: await listen(command.layer), token: '' };
      return { id: command.id, type: 'listening', port, pid: process.pid, token };
    }
    if (!gc) throw new Error('memory-server needs --expose-gc');
    gc();
    gc();
    const usage = process.memoryUsage();
    return { id: command.id, type: 'measured', connections: connections(), heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
  })().then((reply) => process.send!(reply));
});
process.on('disconnect', () => process.exit(0));
