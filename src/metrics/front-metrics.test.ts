import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Membership } from '../registry/membership.js';
import { Scrape } from '../testing/prometheus.js';
import { createFrontMetrics } from './front-metrics.js';

test('records taken in batches are all counted, once, whenever the registry is read', async () => {
  const registry = new Registry();
  const metrics = createFrontMetrics(registry, new Membership());
  // More durations than one batch holds, so some go to the histogram before any scrape.
  for (let i = 0; i < 2500; i++) metrics.wsEndpointAnswered(i % 2 === 0 ? 0.0003 : 0.02);
  for (let i = 0; i < 3000; i++) metrics.routingAnswer(`w${i % 3}`);
  const first = new Scrape(await registry.metrics());
  assert.equal(first.histogram('sioroute_ws_endpoint_duration_seconds').count, 2500);
  assert.ok(Math.abs(first.histogram('sioroute_ws_endpoint_duration_seconds').sum - (1250 * 0.0003 + 1250 * 0.02)) < 1e-9);
  const buckets = first.families.get('sioroute_ws_endpoint_duration_seconds')!.metrics[0]!.buckets!;
  assert.deepEqual([buckets['0.0002'], buckets['0.0005'], buckets['0.01'], buckets['0.025'], buckets['+Inf']], ['0', '1250', '1250', '2500', '2500']);
  assert.deepEqual(first.by('sioroute_routing_answers_total', 'worker'), new Map([['w0', 1000], ['w1', 1000], ['w2', 1000]]));

  metrics.routingAnswer('w1');
  metrics.wsEndpointAnswered(0.001);
  assert.deepEqual(await metrics.answersByWorker(), new Map([['w0', 1000], ['w1', 1001], ['w2', 1000]]));
  const second = new Scrape(await registry.metrics());
  assert.equal(second.histogram('sioroute_ws_endpoint_duration_seconds').count, 2501);
  assert.deepEqual(second.by('sioroute_routing_answers_total', 'worker'), new Map([['w0', 1000], ['w1', 1001], ['w2', 1000]]));
});
