// GET /metrics on a worker's own port, standalone (no cluster): clients, admissions, refusals, access.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { signToken } from '../routing/token.js';
import { connectTo, errorCode, httpGet, type DemoSocket } from '../testing/clients.js';
import { scrape } from '../testing/prometheus.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'worker-metrics-secret-worker-metrics-0001';

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a standalone worker serves its own /metrics', () => {
  let server: WorkerServer;
  let url: string;
  const sockets: DemoSocket[] = [];
  const token = (workerId = 'w3', expiresAt = Date.now() + 60_000) => signToken({ workerId, expiresAt }, secret);

  before(async () => {
    server = createWorkerServer({
      workerId: 'w3', index: 3, host: '127.0.0.1', port: 0, secret, allowedOrigins: [], frontPort: undefined,
      logger: pino({ level: 'silent' }), register: register as unknown as RegisterHandlers,
      metricsFrom: ['127.0.0.1', '127.0.8.0/24'],
    });
    url = `http://127.0.0.1:${await server.start()}`;
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  test('connected clients, admissions and refusals by code', async () => {
    for (let i = 1; i <= 3; i++) sockets.push(await connectTo({ url, path: '/socket.io', token: token() }, { localAddress: `127.0.9.${i}` }));
    const refusals: [string | null, string][] = [
      ['forged', 'TOKEN_INVALID'],
      ['forged-again', 'TOKEN_INVALID'],
      [token('w3', Date.now() - 1000), 'TOKEN_EXPIRED'],
      [token('w1'), 'TOKEN_WRONG_WORKER'],
      [null, 'TOKEN_MISSING'],
    ];
    for (const [bad, code] of refusals) {
      const error = await connectTo({ url, path: '/socket.io', token: '' }, { localAddress: '127.0.9.9', token: bad }).then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      );
      assert.equal(errorCode(error), code);
    }
    // Refused clients close their transport; the gauge counts sessions, so wait until they are gone.
    await waitFor('three sessions', async () => (await scrape(`${url}/metrics`)).sum('sioroute_worker_clients') === 3);
    const metrics = await scrape(`${url}/metrics`);
    assert.deepEqual(metrics.samples('sioroute_worker_clients'), [{ labels: { worker: 'w3' }, value: 3 }]);
    assert.equal(metrics.sum('sioroute_admissions_total', { worker: 'w3' }), 3);
    assert.deepEqual(
      metrics.by('sioroute_admissions_refused_total', 'code', { worker: 'w3' }),
      new Map([['TOKEN_MISSING', 1], ['TOKEN_INVALID', 2], ['TOKEN_EXPIRED', 1], ['TOKEN_WRONG_WORKER', 1], ['WORKER_DRAINING', 0]]),
    );
    // No process metrics unless the caller adds them to the registry (worker-process.ts does).
    assert.equal(metrics.families.has('process_cpu_user_seconds_total'), false);
    assert.equal(server.metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  test('a query string is fine; other peers get 403 METRICS_FORBIDDEN; /healthz is open', async () => {
    assert.equal((await httpGet(`${url}/metrics?x=1`, { localAddress: '127.0.8.200' })).status, 200);
    const refused = await httpGet(`${url}/metrics`, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), {
      statusCode: 403, code: 'METRICS_FORBIDDEN', error: 'METRICS_FORBIDDEN', message: 'this address may not read /metrics (see METRICS_FROM)',
    });
    assert.equal((await httpGet(`${url}/healthz`, { localAddress: '127.0.0.2' })).status, 200);
  });
});
