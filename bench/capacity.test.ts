// Capacity and failover at smoke size, so they never rot. Shapes and the zero figures are
// asserted; timings never are (the machine is shared and noisy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityMarkdown, runCapacity } from './capacity.js';
import { failoverMarkdown, runFailover } from './failover.js';

test('capacity (smoke size): one row per step, every connection opened, then a worker killed and its clients back', { timeout: 150_000 }, async (t) => {
  const result = await runCapacity({ maxConnections: 600, step: 300, workers: 3, generators: 2, echoClients: 20, echoWindowMs: 1_500, p99LimitMs: 100_000, log: (line) => t.diagnostic(line) });
  for (const line of capacityMarkdown(result).split('\n')) t.diagnostic(line);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'the result is plain JSON');
  // A limit no echo reaches: the ramp runs to the maximum, 0 (echo clients only), 300, 600.
  assert.equal(result.stoppedBy, 'maximum');
  assert.deepEqual(result.steps.map((s) => s.target), [0, 300, 600]);
  for (const s of result.steps) {
    assert.equal(s.open, s.target);
    assert.equal(s.failed, 0);
    assert.equal(s.lost, 0);
    assert.ok(s.echoes > 0 && s.p50Ms <= s.p99Ms, `step ${s.target}: echo figures`);
    assert.equal(s.workerRssMiB.length, 3);
    assert.ok(s.workerRssMiB.every((m) => m > 0));
  }
  assert.equal(result.capacity, 600);
  assert.ok(result.marginal && result.marginal.to === 600);
  const storm = result.failover!;
  assert.ok(storm.killedClients > 0, 'the killed worker had clients');
  assert.equal(storm.rehomed, storm.killedClients, 'every client of the killed worker came back');
  assert.equal(storm.othersDisturbed, 0);
  assert.equal(storm.resolves.failed, 0, 'every GET /ws-endpoint was answered');
  assert.equal(storm.curve.at(-1), storm.rehomed);
});

test('failover (smoke size): re-home figures, nobody else disturbed', { timeout: 120_000 }, async (t) => {
  const result = await runFailover({ clients: 40, runs: 1, log: (line) => t.diagnostic(line) });
  for (const line of failoverMarkdown(result).split('\n')) t.diagnostic(line);
  assert.equal(result.runs.length, 1);
  assert.ok(result.killedClients.min > 0, 'the killed worker had clients');
  assert.ok(result.rehomeMsP50.median <= result.rehomeMsP99.median);
  assert.equal(result.othersDisturbed, 0);
  assert.equal(result.frontKillSessionsDropped, 0);
  assert.equal(result.rollingRestartFailed, 0);
});
