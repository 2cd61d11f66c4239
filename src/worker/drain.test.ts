import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { DRAIN_EVENT } from '../client/protocol.js';
import { signToken } from '../routing/token.js';
import { connectTo, type DemoSocket } from '../testing/clients.js';
import { createWorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'drain-test-secret-drain-test-secret-0123';

test('a drain frees the port at once, then tells each client to move, spread over the drain time', async () => {
  const server = createWorkerServer({
    workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret, allowedOrigins: [], frontPort: undefined,
    logger: pino({ level: 'silent' }), register: register as unknown as RegisterHandlers,
  });
  const port = await server.start();
  const endpoint = { url: `http://127.0.0.1:${port}`, path: '/socket.io', token: signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, secret) };
  const sockets: DemoSocket[] = [];
  for (let i = 0; i < 6; i++) sockets.push(await connectTo(endpoint, { localAddress: `127.0.8.${i + 1}`, transports: i % 2 ? ['polling'] : ['websocket'] }));
  const moves = sockets.map(async (socket) => {
    let notified = false;
    socket.on(DRAIN_EVENT, (notice) => {
      notified = notice.workerId === 'w0';
    });
    const [reason] = (await once(socket as unknown as NodeJS.EventEmitter, 'disconnect')) as [string];
    return { notified, reason, at: Date.now() };
  });

  let releasedAt = 0;
  const started = Date.now();
  const drained = server.drain(1500, () => {
    releasedAt = Date.now();
  });
  // The port is free for a replacement while the clients are still being moved.
  const replacement = createServer();
  replacement.listen(port, '127.0.0.1');
  await once(replacement, 'listening');
  replacement.close();
  assert.ok(releasedAt > 0);

  const results = await Promise.all(moves);
  await drained;
  for (const r of results) {
    assert.equal(r.reason, 'io server disconnect');
    assert.ok(r.notified, 'each client is told it is a drain');
  }
  const times = results.map((r) => r.at - started).sort((a, b) => a - b);
  assert.ok(times[0]! < 900 && times.at(-1)! >= 1000, `spread over the drain time: ${times.join(', ')} ms`);
  for (const socket of sockets) socket.close();
});
