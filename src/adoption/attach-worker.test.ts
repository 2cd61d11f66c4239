// attachWorker on a socket.io Server the application made itself: its handlers and its own HTTP
// routes keep working, routed clients are admitted with a token, /admin (admin-ui) without one.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { attachWorker, signToken } from '../index.js';
import { errorCode, httpGet } from '../testing/clients.js';
import { SECRET, startExistingWorker, type ExistingWorker } from './existing-app.js';

describe('attachWorker on an existing io', () => {
  let worker: ExistingWorker;
  before(async () => {
    worker = await startExistingWorker('app-w0');
  });
  after(async () => worker.close());

  test('the app\'s handlers take a client with a token; one without is refused with TOKEN_MISSING', async () => {
    const token = signToken({ workerId: 'app-w0', expiresAt: Date.now() + 60_000 }, SECRET);
    const admitted = ioClient(worker.url, { auth: { token, user: 'ann' }, query: { room: 'r1' }, forceNew: true, reconnection: false });
    try {
      assert.deepEqual(await admitted.timeout(5000).emitWithAck('ping'), { pong: 'app-w0', user: 'ann', query: 'r1' });
    } finally {
      admitted.close();
    }
    const refused = ioClient(worker.url, { forceNew: true, reconnection: false });
    const error = await new Promise<unknown>((resolve) => refused.once('connect_error', resolve));
    refused.close();
    assert.equal(errorCode(error), 'TOKEN_MISSING');
    // Every namespace the app creates needs the token too.
    const chat = ioClient(`${worker.url}/chat`, { forceNew: true, reconnection: false });
    assert.equal(errorCode(await new Promise<unknown>((resolve) => chat.once('connect_error', resolve))), 'TOKEN_MISSING');
    chat.close();
  });

  test('the real @socket.io/admin-ui connects to /admin without a token, and sees the routed sockets', async () => {
    const token = signToken({ workerId: 'app-w0', expiresAt: Date.now() + 60_000 }, SECRET);
    const routed = ioClient(worker.url, { auth: { token }, forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      routed.once('connect', resolve);
      routed.once('connect_error', reject);
    });
    const admin = ioClient(`${worker.url}/admin`, { forceNew: true, reconnection: false });
    try {
      const sockets = await new Promise<{ id: string; nsp: string }[]>((resolve, reject) => {
        admin.once('connect_error', reject);
        admin.once('all_sockets', resolve);
      });
      assert.ok(admin.connected, 'the admin namespace admitted a client without a token');
      assert.ok(sockets.some((s) => s.id === routed.id && s.nsp === '/'), 'admin-ui lists the routed socket');
    } finally {
      admin.close();
      routed.close();
    }
  });

  test('its own HTTP routes still answer, beside /healthz, /livez, /readyz', async () => {
    assert.equal((await httpGet(`${worker.url}/anything`)).body, "the app's own http route on app-w0");
    const health = (await httpGet(`${worker.url}/healthz`)).json<{ status: string; worker: { id: string; port: number } }>();
    assert.equal(health.status, 'ok');
    assert.equal(health.worker.id, 'app-w0');
    assert.equal(health.worker.port, worker.port);
    assert.equal((await httpGet(`${worker.url}/livez`)).status, 200);
    assert.equal((await httpGet(`${worker.url}/readyz`)).status, 200);
  });
});

test('a drain tells routed clients to move, then closes io', async () => {
  const worker = await startExistingWorker('app-w1');
  const token = signToken({ workerId: 'app-w1', expiresAt: Date.now() + 60_000 }, SECRET);
  const client = ioClient(worker.url, { auth: { token }, forceNew: true, reconnection: false, transports: ['websocket'] });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const notice = new Promise<unknown>((resolve) => client.once('sioroute:drain', resolve));
  let released = false;
  const drained = worker.handle.drain(500, { onPortReleased: () => (released = true) });
  assert.equal(worker.handle.state, 'draining');
  assert.equal(worker.handle.record()?.state, 'draining');
  assert.deepEqual(await notice, { workerId: 'app-w1' });
  await drained;
  assert.ok(released);
  assert.equal(worker.handle.state, 'closed');
  await assert.rejects(httpGet(`${worker.url}/livez`), /ECONNREFUSED/);
  client.close();
});

test('bad options are refused at attach time, naming the option and the value (never the secret)', () => {
  const io = new Server(createServer());
  const attempt = (options: Record<string, unknown>) => () => attachWorker(io, { workerId: 'w0', secret: SECRET, ...options } as never);
  assert.throws(attempt({ workerId: 'no spaces' }), /^SiorouteOptionError: attachWorker: invalid option workerId="no spaces": expected 1 to 64 characters/m);
  assert.throws(attempt({ secret: 'short-secret' }), (error: unknown) => error instanceof TypeError && /invalid option secret=\(a string of 12 bytes\): expected at least 32 bytes/.test(error.message) && !error.message.includes('short-secret'));
  assert.throws(attempt({ exemptNamespaces: ['/'] }), /invalid option exemptNamespaces=\["\/"\]: expected an array of namespace names/);
  assert.throws(attempt({ allowedOrigins: ['*'] }), /invalid option allowedOrigins=\["\*"\]: .*"\*" is refused/);
  assert.throws(attempt({ registration: 'redis://x' }), /invalid option registration="redis:\/\/x"/);
  io.close();
});
