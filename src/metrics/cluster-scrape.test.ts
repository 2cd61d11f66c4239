import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { Scrape } from '../testing/prometheus.js';
import { collectProcessMetrics } from './process-metrics.js';
import { aggregateMetrics, createClusterScrape, type MetricsJson } from './cluster-scrape.js';
import { createWorkerMetrics } from './worker-metrics.js';

/** Timers keeping this process alive. */
const activeTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

async function workerPart(workerId: string, clients: number, refused: number): Promise<MetricsJson> {
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'worker', worker: workerId });
  const metrics = createWorkerMetrics(registry, { workerId, clients: () => clients });
  for (let i = 0; i < refused; i++) metrics.refused('TOKEN_INVALID');
  metrics.admitted();
  return registry.getMetricsAsJSON();
}

test('the aggregate keeps one series per worker and per process, start times included', async () => {
  const front = new Registry();
  collectProcessMetrics(front, { role: 'front' });
  const text = await aggregateMetrics([await front.getMetricsAsJSON(), await workerPart('w0', 3, 1), await workerPart('w1', 4, 2)]);
  const metrics = new Scrape(text);
  assert.deepEqual(metrics.by('sioroute_worker_clients', 'worker'), new Map([['w0', 3], ['w1', 4]]));
  assert.equal(metrics.sum('sioroute_admissions_refused_total', { code: 'TOKEN_INVALID' }), 3);
  assert.equal(metrics.sum('sioroute_admissions_refused_total', { code: 'TOKEN_EXPIRED' }), 0);
  assert.equal(metrics.sum('sioroute_admissions_total'), 2);
  const starts = metrics.samples('process_start_time_seconds').map((s) => [s.labels.role, s.labels.worker]);
  assert.deepEqual(starts.sort(), [['front', undefined], ['worker', 'w0'], ['worker', 'w1']]);
});

test('two processes of one slot (a draining one and its replacement) add up', async () => {
  const text = await aggregateMetrics([await workerPart('w0', 3, 1), await workerPart('w0', 5, 0)]);
  const metrics = new Scrape(text);
  assert.deepEqual(metrics.by('sioroute_worker_clients', 'worker'), new Map([['w0', 8]]));
  assert.equal(metrics.sum('sioroute_admissions_refused_total', { code: 'TOKEN_INVALID' }), 1);
});

test('concurrent scrapes share one request to the supervisor; its answer is aggregated with the front', async () => {
  const registry = new Registry();
  new Counter({ name: 'front_only_total', help: 'x', registers: [registry] }).inc(7);
  const requests: number[] = [];
  const timersBefore = activeTimers();
  const cluster = createClusterScrape({ registry, request: (id) => requests.push(id), timeoutMs: 60_000 });
  const [a, b] = [cluster.text(), cluster.text()];
  assert.equal(requests.length, 1);
  cluster.onAnswer({ requestId: requests[0]! + 1, parts: [], unanswered: [] });
  cluster.onAnswer({ requestId: requests[0]!, parts: [await workerPart('w0', 2, 0)], unanswered: ['w1'] });
  const [textA, textB] = await Promise.all([a, b]);
  assert.equal(textA, textB);
  const metrics = new Scrape(textA);
  assert.equal(metrics.sum('front_only_total'), 7);
  assert.equal(metrics.sum('sioroute_worker_clients'), 2);
  assert.equal(metrics.sum('sioroute_scrape_unanswered_workers'), 1);
  // The next scrape asks again; answered, it leaves no 60 s timer behind to hold the process open.
  const next = cluster.text();
  assert.equal(requests.length, 2);
  cluster.onAnswer({ requestId: requests[1]!, parts: [await workerPart('w0', 5, 0)], unanswered: [] });
  assert.equal(new Scrape(await next).sum('sioroute_worker_clients'), 5);
  assert.equal(activeTimers(), timersBefore, 'no timer of the scrape is left running');
});

test('no answer in time rejects, and so does a request that cannot be sent; the next scrape asks again', async () => {
  const requests: number[] = [];
  const cluster = createClusterScrape({ registry: new Registry(), request: (id) => requests.push(id), timeoutMs: 50 });
  await assert.rejects(cluster.text(), /did not answer within 50 ms/);
  let fail = true;
  const failing = createClusterScrape({
    registry: new Registry(),
    request: () => {
      if (fail) throw new Error('channel closed');
    },
    timeoutMs: 50,
  });
  await assert.rejects(failing.text(), /channel closed/);
  fail = false;
  await assert.rejects(failing.text(), /did not answer/);
  await assert.rejects(cluster.text(), /did not answer/);
  assert.equal(requests.length, 2);
});
