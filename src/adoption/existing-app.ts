// Test support: what a team that already has a Socket.IO app runs, before sioroute: its own HTTP
// server and socket.io Server with its own handlers (and @socket.io/admin-ui), here made workers
// with attachWorker. Everything on port 0.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instrument } from '@socket.io/admin-ui';
import { Server } from 'socket.io';
import { attachWorker, type WorkerHandle } from '../index.js';

export const SECRET = 'adoption-test-secret-adoption-test-secret-0';

export interface ExistingWorker {
  readonly io: Server;
  readonly handle: WorkerHandle;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The application's handlers, untouched by sioroute: they know nothing of routing. */
function registerAppHandlers(io: Server, name: string): void {
  io.on('connection', (socket) => {
    socket.on('ping', (ack: unknown) => {
      if (typeof ack === 'function') ack({ pong: name, user: (socket.handshake.auth as { user?: string }).user ?? null, query: socket.handshake.query.room ?? null });
    });
    socket.on('count', () => {
      io.emit('counted', name);
    });
  });
  io.of('/chat').on('connection', (socket) => {
    socket.on('say', (text: string, ack: (value: string) => void) => ack(`${name}/chat: ${text}`));
  });
}

export async function startExistingWorker(name: string, options: { allowedOrigins?: string[]; publicUrl?: string } = {}): Promise<ExistingWorker> {
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`the app's own http route on ${name}`);
  });
  const io = new Server(http, { serveClient: false });
  registerAppHandlers(io, name);
  // The admin UI (no auth, as a local tool would run it): its namespace takes no routing token.
  instrument(io, { auth: false, mode: 'development' });
  const handle = attachWorker(io, { workerId: name, secret: SECRET, exemptNamespaces: ['/admin'], ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}), ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return { io, handle, port, url: `http://127.0.0.1:${port}`, close: () => handle.close() };
}

/** A plain fastify app with the sioroute plug-in over a static list of workers; its URL and a close. */
export async function startPluginFront(urls: readonly string[], prefix = ''): Promise<{ url: string; close: () => Promise<void> }> {
  const { default: Fastify } = await import('fastify');
  const { sioroute } = await import('../front/fastify-plugin.js');
  const { staticMembership } = await import('../registry/membership-source.js');
  const app = Fastify();
  await app.register(sioroute, { membership: staticMembership({ urls, probeEveryMs: 200 }), secret: SECRET, prefix });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}
