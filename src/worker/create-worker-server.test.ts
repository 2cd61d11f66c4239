import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { pino } from 'pino';
import WebSocket from 'ws';
import { signToken } from '../routing/token.js';
import { connectTo, errorCode, httpGet } from '../testing/clients.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'worker-test-secret-worker-test-secret-01';

describe('a worker on its own port', () => {
  let server: WorkerServer;
  let url: string;
  let port: number;
  const token = () => signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, secret);
  const endpoint = (t = token()) => ({ url, path: '/socket.io', token: t });

  before(async () => {
    server = createWorkerServer({
      workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret,
      allowedOrigins: ['https://app.example.com'], frontPort: 8080,
      logger: pino({ level: 'silent' }), register: register as unknown as RegisterHandlers,
      maxHttpBufferSize: 10_000,
    });
    port = await server.start();
    url = `http://127.0.0.1:${port}`;
  });
  after(() => server.close());

  test('admits a valid token over polling and WebSocket, and answers the demo events', async () => {
    for (const transports of [['polling'], ['websocket']] as const) {
      const socket = await connectTo(endpoint(), { localAddress: '127.0.5.1', transports: [...transports] });
      const me = await socket.timeout(5000).emitWithAck('whoami');
      assert.equal(me.workerId, 'w0');
      assert.equal(me.address, '127.0.5.1');
      assert.deepEqual(await socket.timeout(5000).emitWithAck('echo', { n: 1, s: 'x' }), { n: 1, s: 'x' });
      assert.deepEqual(await socket.timeout(5000).emitWithAck('chat:send', ''), { ok: false, error: 'CHAT_TEXT_INVALID: expected 1 to 500 characters' });
      socket.close();
    }
  });

  test('refuses admission with a code for each bad token', async () => {
    const cases: [string | null, string][] = [
      [null, 'TOKEN_MISSING'],
      ['garbage', 'TOKEN_INVALID'],
      [signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, `${secret}-other`), 'TOKEN_INVALID'],
      [signToken({ workerId: 'w0', expiresAt: Date.now() - 1 }, secret), 'TOKEN_EXPIRED'],
      [signToken({ workerId: 'w1', expiresAt: Date.now() + 60_000 }, secret), 'TOKEN_WRONG_WORKER'],
    ];
    for (const [t, code] of cases) {
      const error = await connectTo(endpoint(), { localAddress: '127.0.5.2', token: t }).then(
        () => assert.fail(`${code}: connected`),
        (e: unknown) => e,
      );
      assert.equal(errorCode(error), code);
      assert.ok((error as Error).message.length > 10, 'a readable message');
    }
  });

  test('every namespace needs a token, including the classic /ws demo', async () => {
    const refused = await connectTo(endpoint(), { localAddress: '127.0.5.3', token: null, namespace: '/ws' }).catch((e: unknown) => e);
    assert.equal(errorCode(refused), 'TOKEN_MISSING');
    const socket = await connectTo(endpoint(), { localAddress: '127.0.5.3', namespace: '/ws' });
    const reply = once(socket as unknown as NodeJS.EventEmitter, 's:message');
    (socket as unknown as { emit(e: string, d: unknown): void }).emit('b:message', 'hi');
    assert.deepEqual((await reply)[0], { port, workerId: 'w0', data: 'hi' });
    socket.close();
  });

  test('CORS: the front and listed origins are allowed, others refused (polling and WebSocket)', async () => {
    const handshake = `${url}/socket.io/?EIO=4&transport=polling`;
    const fromFront = await httpGet(handshake, { headers: { origin: 'http://127.0.0.1:8080' } });
    assert.equal(fromFront.status, 200);
    assert.equal(fromFront.headers['access-control-allow-origin'], 'http://127.0.0.1:8080');
    const listed = await httpGet(handshake, { headers: { origin: 'https://app.example.com' } });
    assert.equal(listed.headers['access-control-allow-origin'], 'https://app.example.com');
    const evil = await httpGet(handshake, { headers: { origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    assert.notEqual(evil.headers['access-control-allow-origin'], '*');
    // Verdicts are remembered per Origin and Host: asked again, the same answers; the front's origin
    // on another Host is another pair, judged on its own.
    for (let round = 0; round < 2; round++) {
      const otherHost = await httpGet(handshake, { headers: { origin: 'http://127.0.0.1:8080', host: `elsewhere.example:${port}` } });
      assert.equal(otherHost.status, 403);
      const again = await httpGet(handshake, { headers: { origin: 'http://127.0.0.1:8080' } });
      assert.equal(again.headers['access-control-allow-origin'], 'http://127.0.0.1:8080');
      assert.equal((await httpGet(handshake, { headers: { origin: 'https://evil.example' } })).status, 403);
    }

    // Browsers apply no CORS to WebSocket: the worker checks the Origin at the handshake itself.
    const wsUrl = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
    const evilWs = new WebSocket(wsUrl, { origin: 'https://evil.example' });
    const [, res] = (await once(evilWs, 'unexpected-response')) as [unknown, NodeJS.ReadableStream & { statusCode: number }];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    assert.equal(res.statusCode, 400);
    assert.equal(body, 'origin not allowed');
    evilWs.on('error', () => {});
    evilWs.terminate();
    const frontWs = new WebSocket(wsUrl, { origin: 'http://127.0.0.1:8080' });
    await once(frontWs, 'open');
    frontWs.terminate();
  });

  test('an oversized message drops only its sender', async () => {
    const bystander = await connectTo(endpoint(), { localAddress: '127.0.5.4', transports: ['websocket'] });
    const offender = await connectTo(endpoint(), { localAddress: '127.0.5.5', transports: ['websocket'] });
    const dropped = once(offender as unknown as NodeJS.EventEmitter, 'disconnect');
    offender.emit('echo', 'x'.repeat(50_000), () => {});
    await dropped;
    assert.equal(await bystander.timeout(5000).emitWithAck('echo', 'still here'), 'still here');
    bystander.close();
  });

  test('anything else on the worker port gets a small JSON 404; /healthz answers', async () => {
    const health = await httpGet(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.json<{ workerId: string }>().workerId, 'w0');
    const other = await httpGet(`${url}/../../etc/passwd`);
    assert.equal(other.status, 404);
    assert.equal(other.json<{ code: string }>().code, 'NOT_FOUND');
  });
});
