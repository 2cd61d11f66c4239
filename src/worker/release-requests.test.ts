// releaseHandshakeRequests: every kind of client still connects, joins a second namespace later and
// talks; handshakes keep their headers and query; socket.request is the stand-in, not the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { releaseHandshakeRequests } from './release-requests.js';

test('releaseHandshakeRequests: WebSocket, polling-only and upgrading clients keep working and their handshakes', { timeout: 30_000 }, async () => {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  releaseHandshakeRequests(io);
  const seen: Socket[] = [];
  for (const nsp of [io.of('/'), io.of('/second')]) {
    nsp.on('connection', (socket) => {
      seen.push(socket);
      socket.on('echo', (payload: unknown, ack: (p: unknown) => void) => ack(payload));
    });
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const kinds = { websocket: ['websocket'], polling: ['polling'], upgrading: ['polling', 'websocket'] } as const;
  try {
    for (const [kind, transports] of Object.entries(kinds)) {
      const options = { transports: [...transports], extraHeaders: { 'x-kind': kind }, query: { kind }, forceNew: true, reconnection: false };
      const root = connect(url, options);
      assert.equal(await root.timeout(5000).emitWithAck('echo', kind), kind);
      if (kind === 'upgrading') await new Promise((resolve) => (root.io.engine.transport.name === 'websocket' ? resolve(null) : root.io.engine.once('upgrade', resolve)));
      // A namespace joined after the handshake builds its own handshake from the stand-in.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = root.io.socket('/second');
      assert.equal(await second.timeout(5000).emitWithAck('echo', `${kind}2`), `${kind}2`);
      for (const socket of seen.splice(0)) {
        assert.equal(socket.handshake.headers['x-kind'], kind, `${kind} ${socket.nsp.name}: headers`);
        assert.equal(socket.handshake.query.kind, kind, `${kind} ${socket.nsp.name}: query`);
        assert.equal(socket.request instanceof IncomingMessage, false, `${kind}: the request itself is released`);
        assert.equal(socket.request.headers['x-kind'], kind);
      }
      root.close();
    }
  } finally {
    io.close();
    http.closeAllConnections();
  }
});
