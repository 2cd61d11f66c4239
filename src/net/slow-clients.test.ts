// Slow and idle clients at scale, on the front and on a worker: hundreds of sockets that send
// nothing or half a request head are cut when the headers limit passes (408 for those that sent
// something), one address is held to its connection limit (closed unread past it), and a normal
// client connects and echoes the whole time.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import { buildFrontApp } from '../front/build-front-app.js';
import { LOAD_GUARD_OFF } from '../front/load-guard.js';
import { manualMembership } from '../registry/membership-source.js';
import { signToken } from '../routing/token.js';
import { connectTo, httpGet } from '../testing/clients.js';
import { createWorkerServer, type WorkerServer } from '../worker/create-worker-server.js';
import { register } from '../worker/demo-handlers.js';
import type { RegisterHandlers } from '../worker/worker-context.js';

const SECRET = 'slow-clients-test-secret-slow-clients-test-0';
const HEADERS_MS = 2000;
const IDLE = 150;
const PARTIAL = 150;
const CAP = 20;

interface Probe {
  readonly socket: Socket;
  data: string;
  closedAt: number | undefined;
  readonly partial: boolean;
}

function openProbe(port: number, localAddress: string, partial: boolean): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const probe: Probe = { socket, data: '', closedAt: undefined, partial };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (probe.data += chunk));
    socket.on('close', () => (probe.closedAt = Date.now()));
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (partial) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      resolve(probe);
    });
    socket.once('error', reject);
  });
}

/** 150 idle and 150 half-sent sockets from distinct addresses, then what became of them. */
async function flood(port: number, subnet: number, whileHeld: () => Promise<void>): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (let i = 0; i < IDLE + PARTIAL; i++) probes.push(await openProbe(port, `127.${subnet}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`, i >= IDLE));
  const openedAt = Date.now();
  await whileHeld();
  const deadline = openedAt + HEADERS_MS + 8000;
  while (probes.some((p) => p.closedAt === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of probes) p.socket.destroy();
  return probes;
}

function assertCut(probes: readonly Probe[]): void {
  const open = probes.filter((p) => p.closedAt === undefined);
  assert.equal(open.length, 0, `${open.length} of ${probes.length} slow sockets still open`);
  const partial = probes.filter((p) => p.partial);
  assert.equal(partial.length, PARTIAL);
  for (const p of partial) assert.match(p.data, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*"code":"REQUEST_TIMEOUT"/, 'a half-sent head gets 408');
  for (const p of probes.filter((q) => !q.partial)) assert.equal(p.data, '', 'an idle socket is closed without a reply');
}

/** CAP + 10 connections from one address: the first CAP stay open, the rest are closed unread. */
async function assertCapped(port: number, address: string): Promise<void> {
  const probes: Probe[] = [];
  for (let i = 0; i < CAP + 10; i++) probes.push(await openProbe(port, address, false));
  await new Promise((r) => setTimeout(r, 300));
  const closed = probes.filter((p) => p.closedAt !== undefined);
  assert.equal(closed.length, 10, `over the limit of ${CAP}: ${closed.length} closed`);
  for (const p of closed) assert.equal(p.data, '');
  for (const p of probes) p.socket.destroy();
}

describe('slow clients on a worker', () => {
  let worker: WorkerServer;
  let port: number;
  const logged: { msg: string; time: number }[] = [];
  before(async () => {
    const sink = { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string; time: number }) };
    worker = createWorkerServer({
      workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret: SECRET, allowedOrigins: [], frontPort: undefined,
      logger: pino({ level: 'warn' }, sink), register: register as unknown as RegisterHandlers, headersTimeoutMs: HEADERS_MS, maxConnectionsPerAddress: CAP,
    });
    port = await worker.start();
  });
  after(() => worker.close());

  test('300 idle or half-sent sockets are cut after the headers limit; a normal client echoes meanwhile', async () => {
    const probes = await flood(port, 61, async () => {
      const token = signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, SECRET);
      for (const transports of [['polling'], ['websocket']] as ('polling' | 'websocket')[][]) {
        const socket = await connectTo({ url: `http://127.0.0.1:${port}`, path: '/socket.io', token }, { localAddress: '127.62.0.1', transports });
        assert.equal(await socket.timeout(5000).emitWithAck('echo', 'still here'), 'still here');
        socket.close();
      }
    });
    assertCut(probes);
    // 300 refusals, logged at most once a second (the count of those held back goes with the next line).
    const cuts = logged.filter((l) => /no complete request head/.test(l.msg));
    const spanSeconds = cuts.length === 0 ? 0 : (cuts.at(-1)!.time - cuts[0]!.time) / 1000;
    assert.ok(cuts.length >= 1 && cuts.length <= Math.floor(spanSeconds) + 1, `${cuts.length} log lines over ${spanSeconds} s`);
  });

  test('one address is held to its connection limit', async () => {
    await assertCapped(port, '127.63.0.1');
    assert.ok(logged.filter((l) => /over its connection limit/.test(l.msg)).length <= 1, 'the refusals of one burst are logged once');
    assert.equal((await httpGet(`http://127.0.0.1:${port}/livez`, { localAddress: '127.63.0.2' })).status, 200);
  });

  test('a long-poll held open longer than the headers limit is not cut', async () => {
    const token = signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, SECRET);
    const socket = await connectTo({ url: `http://127.0.0.1:${port}`, path: '/socket.io', token }, { localAddress: '127.62.0.2', transports: ['polling'] });
    let disconnected = false;
    socket.on('disconnect', () => (disconnected = true));
    await new Promise((r) => setTimeout(r, HEADERS_MS * 2));
    assert.equal(disconnected, false);
    assert.equal(await socket.timeout(5000).emitWithAck('echo', 1), 1);
    socket.close();
  });
});

describe('slow clients on the front', () => {
  let front: FastifyInstance;
  let port: number;
  before(async () => {
    const config = loadConfig(readRawSettings({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', HEADERS_TIMEOUT_SECONDS: String(HEADERS_MS / 1000), MAX_CONNECTIONS_PER_ADDRESS: String(CAP) }, []));
    const source = manualMembership();
    source.membership.upsert({ id: 'w0', index: 0, port: 4000, pid: 1, state: 'ready', weight: 1, clients: 0, startedAt: 0, lastSeenAt: Date.now() });
    front = await buildFrontApp({ config, membership: source, secret: SECRET, logger: pino({ level: 'silent' }), loadGuard: LOAD_GUARD_OFF });
    await front.listen({ host: '127.0.0.1', port: 0 });
    port = (front.server.address() as { port: number }).port;
  });
  after(() => front.close());

  test('300 idle or half-sent sockets are cut after the headers limit; /ws-endpoint answers meanwhile', async () => {
    const probes = await flood(port, 64, async () => {
      for (let i = 0; i < 5; i++) assert.equal((await httpGet(`http://127.0.0.1:${port}/ws-endpoint`, { localAddress: `127.65.0.${i + 1}` })).status, 200);
    });
    assertCut(probes);
  });

  test('one address is held to its connection limit', async () => {
    await assertCapped(port, '127.66.0.1');
    assert.equal((await httpGet(`http://127.0.0.1:${port}/ws-endpoint`, { localAddress: '127.66.0.2' })).status, 200);
  });
});
