// The routing-quality benchmark at smoke size, so it never rots. Only properties that hold whatever
// the timing noise and whichever seeds are asserted; the timings are checked for shape, never for speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_SETS, SCALE_SCHEMES, SCHEMES, routingQualityMarkdown, runRoutingQuality } from './routing-quality.js';

const KEYS = 5_000;
const WORKERS = [2, 8];
const SCALE_WORKERS = [16, 64];

test('routing quality (smoke size): shape, sioroute remaps ideally, the peers show their known flaws', async (t) => {
  const result = await runRoutingQuality({ keys: KEYS, repeats: 1, workerCounts: WORKERS, scale: { workerCounts: SCALE_WORKERS, keySets: 2 } });
  for (const line of routingQualityMarkdown(result).split('\n')) t.diagnostic(line);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'the result is plain JSON');

  assert.deepEqual(result.keySets.map((k) => k.name), [...KEY_SETS]);
  for (const k of result.keySets) assert.equal(k.clients, KEYS);
  assert.equal(result.balance.length, WORKERS.length * KEY_SETS.length);
  for (const b of result.balance) {
    assert.ok(b.floor.median >= 1 && b.floor.p95 >= b.floor.median, `${b.keySet} n=${b.workers}: floor`);
    for (const s of SCHEMES) assert.ok(Number.isFinite(b.maxOverMean[s]) && b.maxOverMean[s] >= 1, `${s} ${b.keySet} n=${b.workers}`);
  }
  assert.deepEqual(result.remap.map((r) => r.workers), WORKERS);
  assert.deepEqual(result.cost.map((c) => c.workers), WORKERS);
  for (const c of result.cost) {
    for (const s of SCHEMES) {
      const ns = c.nsPerLookup[s];
      assert.ok(ns.min > 0 && ns.min <= ns.median && ns.median <= ns.max && Number.isFinite(ns.max), `${s} n=${c.workers}: timing`);
    }
  }

  for (const r of result.remap) {
    // Only the leaving worker's keys move, and it held about 1/n of them: 4 binomial sd of slack.
    const slack = 4 * Math.sqrt((r.ideal.leave * (1 - r.ideal.leave)) / KEYS);
    assert.equal(r.leave.sioroute.collateral, 0, `sioroute n=${r.workers}: collateral on leave`);
    assert.equal(r.join.sioroute.collateral, 0, `sioroute n=${r.workers}: collateral on join`);
    assert.ok(Math.abs(r.leave.sioroute.moved - r.ideal.leave) <= slack, `sioroute n=${r.workers}: moved ${r.leave.sioroute.moved} on leave`);
  }

  // The biggest /24 holds 22% of the NAT-like clients and ip_hash sends a whole /24 to one upstream,
  // so at 8 workers that upstream carries ~1.8x the mean or more; sioroute stays near the random floor.
  const nat8 = result.balance.find((b) => b.keySet === 'nat-like' && b.workers === 8)!;
  assert.ok(nat8.maxOverMean['nginx-ip-hash'] > 1.2 * nat8.maxOverMean.sioroute, `NAT-like n=8: nginx ${nat8.maxOverMean['nginx-ip-hash']} vs sioroute ${nat8.maxOverMean.sioroute}`);

  // `% n` reshuffles nearly everyone (7/8 at n = 8) when a worker leaves. Not at n = 2: with one
  // worker left, only the leaver's keys can move.
  const remap8 = result.remap.find((r) => r.workers === 8)!;
  assert.ok(remap8.leave['ip-modulo'].moved > 4 * remap8.ideal.leave, `ip-modulo n=8: moved ${remap8.leave['ip-modulo'].moved} on leave`);

  // Scale: sioroute keeps the rules at any size; the candidates show why they were not chosen.
  const scale = result.scale!;
  assert.deepEqual(scale.rows.map((r) => r.workers), SCALE_WORKERS);
  for (const r of scale.rows) {
    for (const s of SCALE_SCHEMES) {
      assert.ok(r.nsPerLookup[s].min > 0 && r.buildMs[s].min >= 0 && r.bytes[s] > 0, `${s} n=${r.workers}: timings and size`);
      assert.ok(r.maxOverMean[s] >= 1 && Number.isFinite(r.maxOverMean[s]), `${s} n=${r.workers}: balance`);
      assert.equal(r.orderDisagreements[s], 0, `${s} n=${r.workers}: the order of the list changed answers`);
    }
    assert.ok(r.updateMs.join.min > 0 && r.updateMs.leave.min > 0 && r.coldNsPerLookup.min > 0);
    assert.equal(r.leave.sioroute.collateral, 0, `sioroute n=${r.workers}: collateral on leave`);
    assert.equal(r.join.sioroute.collateral, 0, `sioroute n=${r.workers}: collateral on join`);
    assert.ok(Math.abs(r.weightRatio.sioroute! / 2 - 1) < 0.1, `sioroute n=${r.workers}: weight ratio ${r.weightRatio.sioroute}`);
    assert.equal(r.weightRatio.maglev, null);
    // Maglev refills its slots a little differently; two levels move keys between hosts when one shrinks.
    assert.ok(r.leave.maglev.collateral > 0 && r.leave['two-level'].collateral > 0, `n=${r.workers}: Maglev / two-level collateral`);
    // Jump hash can only lose its last bucket: losing the middle one moves about half the keys.
    assert.ok(r.leave.jump.moved > 4 * r.ideal.leave, `jump n=${r.workers}: moved ${r.leave.jump.moved} on leave`);
  }
});
