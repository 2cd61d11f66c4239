import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { DRAIN_EVENT } from '../protocol/wire.js';
import { signToken } from '../routing/token.js';
import { connectTo, type DemoSocket } from '../testing/clients.js';
import { createWorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'drain-test-secret-drain-test-secret-0123';
const DRAIN_MS = 1500;

test('a drain leaves routing, moves the polling clients while the port still leads here, frees the port, then spreads the WebSocket clients over the drain time', async () => {
  const server = createWorkerServer({
    workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret, allowedOrigins: [], frontPort: undefined,
    logger: pino({ level: 'silent' }), register: register as unknown as RegisterHandlers,
  });
  const port = await server.start();
  const endpoint = { url: `http://127.0.0.1:${port}`, path: '/socket.io', token: signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, secret) };
  const sockets: { socket: DemoSocket; transport: 'polling' | 'websocket' }[] = [];
  for (let i = 0; i < 6; i++) {
    const transport = i % 2 ? 'polling' : 'websocket';
    sockets.push({ socket: await connectTo(endpoint, { localAddress: `127.0.8.${i + 1}`, transports: [transport] }), transport });
  }
  const moves = sockets.map(async ({ socket, transport }) => {
    let notified = false;
    socket.on(DRAIN_EVENT, (notice) => {
      notified = notice.workerId === 'w0';
    });
    const [reason] = (await once(socket as unknown as NodeJS.EventEmitter, 'disconnect')) as [string];
    return { transport, notified, reason, at: Date.now() };
  });

  let leftAt = 0;
  let releasedAt = 0;
  let sessionsAtRelease = -1;
  const released = new Promise<void>((resolve) => {
    void server.drain(DRAIN_MS, {
      onPortReleased: () => {
        releasedAt = Date.now();
        sessionsAtRelease = server.io.engine.clientsCount;
        resolve();
      },
      onLeaving: () => (leftAt = Date.now()),
    });
  });
  assert.ok(leftAt > 0, 'out of routing as the drain starts');
  await released;
  // The port is free for a replacement while the WebSocket clients are still being moved.
  const replacement = createServer();
  replacement.listen(port, '127.0.0.1');
  await once(replacement, 'listening');
  replacement.close();

  const results = await Promise.all(moves);
  for (const r of results) {
    assert.equal(r.reason, 'io server disconnect');
    assert.ok(r.notified, 'each client is told it is a drain');
  }
  // Polling clients are reachable only through the port: their sessions ended before it was released.
  assert.equal(sessionsAtRelease, sockets.filter((s) => s.transport === 'websocket').length, 'only WebSocket sessions were left when the port was released');
  // WebSocket clients are let go one by one over the drain time, the k-th not before k/n of it. Only
  // lower bounds (a timer never fires early) and a spread: how late a busy machine delivers them is
  // not this test's business. The slack covers the event loop's cached clock.
  const times = results.filter((r) => r.transport === 'websocket').map((r) => r.at - releasedAt).sort((a, b) => a - b);
  const spread = `${times.join(', ')} ms after the port was released`;
  assert.equal(times.length, 3);
  const slot = DRAIN_MS / times.length;
  times.forEach((t, k) => assert.ok(t >= slot * (k + 1) - slot / 2, `WebSocket client ${k + 1} of ${times.length} let go before its turn: ${spread}`));
  assert.ok(times.at(-1)! - times[0]! > 0, `WebSocket clients spread over the drain time, not let go at once: ${spread}`);
  for (const { socket } of sockets) socket.close();
});
