// GET /metrics and /status.json of a real front app on a real port: what is counted, who may read it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import type { WsEndpoint } from '../protocol/wire.js';
import { Membership, type WorkerInfo } from '../registry/membership.js';
import { manualMembership } from '../registry/membership-source.js';
import { httpGet } from '../testing/clients.js';
import { scrape } from '../testing/prometheus.js';
import { buildFrontApp, type FrontMetricsOptions } from './build-front-app.js';
import { LOAD_GUARD_OFF } from './load-guard.js';
import type { Status } from './status.js';

const NOW = 1_800_000_000_000;

function worker(index: number, state: WorkerInfo['state'] = 'ready', pid = 100 + index): WorkerInfo {
  return { id: `w${index}`, index, port: 4000 + index, pid, state, weight: 1, clients: index * 2, startedAt: NOW, lastSeenAt: NOW };
}

const fronts: FastifyInstance[] = [];
after(async () => {
  for (const app of fronts) await app.close();
});

async function startFront(env: Record<string, string> = {}, metrics?: FrontMetricsOptions) {
  const membership = new Membership();
  membership.replace([worker(0), worker(1), worker(2)]);
  const config = loadConfig(readRawSettings({ LOG_LEVEL: 'silent', ...env }, []));
  const app = await buildFrontApp({ config, membership: manualMembership({ membership }), secret: 'metrics-test-secret-metrics-test-secret-0', logger: pino({ level: 'silent' }), now: () => NOW, loadGuard: LOAD_GUARD_OFF, ...(metrics ? { metrics } : {}) });
  fronts.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, membership, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

describe('front /metrics', () => {
  test('counts routing answers per worker, times every /ws-endpoint answer, and /status.json agrees', async () => {
    const front = await startFront();
    const named = new Map<string, number>();
    const started = performance.now();
    for (let i = 1; i <= 30; i++) {
      const endpoint = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: `127.0.6.${i}` })).json<WsEndpoint>();
      named.set(endpoint.workerId, (named.get(endpoint.workerId) ?? 0) + 1);
    }
    // The page is a routing answer too; a 400 is timed but names no worker.
    await httpGet(`${front.url}/`, { localAddress: '127.0.6.1' });
    const pageWorker = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.6.1' })).json<WsEndpoint>().workerId;
    named.set(pageWorker, (named.get(pageWorker) ?? 0) + 2);
    assert.equal((await httpGet(`${front.url}/ws-endpoint?avoid=%3C`, { localAddress: '127.0.6.40' })).status, 400);
    // Another route whose path starts the same is not timed.
    assert.equal((await httpGet(`${front.url}/ws-endpointz`, { localAddress: '127.0.6.40' })).status, 404);
    const wallSeconds = (performance.now() - started) / 1000;

    const metrics = await scrape(`${front.url}/metrics`);
    assert.deepEqual(metrics.by('sioroute_routing_answers_total', 'worker'), named);
    const timed = metrics.histogram('sioroute_ws_endpoint_duration_seconds');
    assert.equal(timed.count, 32);
    // In seconds: the requests ran one after another, so their durations fit in the client's wall time.
    assert.ok(timed.sum > 0 && timed.sum <= wallSeconds, `sum of durations ${timed.sum} s, wall time ${wallSeconds} s`);
    assert.deepEqual(metrics.by('sioroute_workers', 'state'), new Map([['starting', 0], ['ready', 3], ['draining', 0], ['unhealthy', 0]]));

    const status = (await httpGet(`${front.url}/status.json`)).json<Status>();
    assert.deepEqual(new Map(status.list.map((w) => [w.id, w.routingAnswers])), named);
    assert.equal(status.routingAnswers, 32);
    assert.deepEqual(status.list.map((w) => w.clients), [0, 2, 4]);
  });

  test('membership changes: joins, leaves, state changes, a replaced process', async () => {
    const front = await startFront();
    const changes = async () => (await scrape(`${front.url}/metrics`)).by('sioroute_membership_changes_total', 'change');
    assert.deepEqual(await changes(), new Map([['joined', 3], ['left', 0], ['state', 0]]));
    front.membership.upsert(worker(1, 'draining'));
    front.membership.remove('w2');
    // The supervisor's snapshot every second changes nothing by itself.
    front.membership.replace(front.membership.list());
    // The slot's replacement: a new process under the same id.
    front.membership.upsert(worker(1, 'ready', 999));
    assert.deepEqual(await changes(), new Map([['joined', 4], ['left', 2], ['state', 1]]));
    const metrics = await scrape(`${front.url}/metrics`);
    assert.deepEqual(metrics.by('sioroute_workers', 'state'), new Map([['starting', 0], ['ready', 2], ['draining', 0], ['unhealthy', 0]]));
  });

  test('the registry given is served, with whatever else the caller put on it', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ front: 'a' });
    const front = await startFront({}, { registry });
    const metrics = await scrape(`${front.url}/metrics`);
    assert.deepEqual(metrics.samples('sioroute_workers', { state: 'ready' }), [{ labels: { state: 'ready', front: 'a' }, value: 3 }]);
  });

  test('a scrape provider that fails answers 503 METRICS_UNAVAILABLE', async () => {
    const front = await startFront({}, { scrape: () => Promise.reject(new Error('the supervisor did not answer')) });
    const answer = await httpGet(`${front.url}/metrics`);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '1');
    assert.deepEqual(answer.json(), {
      statusCode: 503, code: 'METRICS_UNAVAILABLE', error: 'METRICS_UNAVAILABLE',
      message: 'the metrics of the cluster could not be collected in time; retry shortly',
    });
  });

  test('only METRICS_FROM peers may read it; X-Forwarded-For grants nothing', async () => {
    const front = await startFront({ METRICS_FROM: '127.0.0.2, 127.0.7.0/24', TRUST_PROXY: '127.0.0.1' });
    for (const allowed of ['127.0.0.2', '127.0.7.9']) assert.equal((await scrape(`${front.url}/metrics`, allowed)).sum('sioroute_workers'), 3);
    for (const [from, forwarded] of [['127.0.0.1', '127.0.0.2'], ['127.0.0.3', undefined]] as const) {
      const answer = await httpGet(`${front.url}/metrics`, { localAddress: from, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} });
      assert.equal(answer.status, 403, `${from} via ${forwarded}`);
      assert.deepEqual(answer.json(), {
        statusCode: 403, code: 'METRICS_FORBIDDEN', error: 'METRICS_FORBIDDEN', message: 'this address may not read /metrics (see METRICS_FROM)',
      });
    }
    const nobody = await startFront({ METRICS_FROM: 'none' });
    assert.equal((await httpGet(`${nobody.url}/metrics`)).status, 403);
  });
});
