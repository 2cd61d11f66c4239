// The client's retry policy (pure): how the clients of a dead worker, or of an overloaded front,
// spread their next attempts. A storm of thousands must not come back in lockstep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from '../client/connect-attempt.js';

const randoms = Array.from({ length: 101 }, (_, i) => i / 101);

test('after a failure the delay is full jitter, doubling up to a cap', () => {
  const first = randoms.map((r) => retryDelayMs(1, false, 0, r));
  assert.equal(Math.min(...first), 0);
  assert.ok(Math.max(...first) < 250 && Math.max(...first) > 240);
  const later = randoms.map((r) => retryDelayMs(10, false, 0, r));
  assert.ok(Math.max(...later) <= 5_000 && Math.max(...later) > 4_900);
});

test("a front's Retry-After spreads the clients over one more such delay instead of bringing them all back at once", () => {
  const delays = randoms.map((r) => retryDelayMs(1, false, 2_000, r));
  assert.ok(delays.every((d) => d >= 2_000 && d < 4_000), 'never sooner than asked, at most twice as late');
  // Spread evenly: each quarter of [2 s, 4 s) gets about a quarter of the clients.
  for (let q = 0; q < 4; q++) {
    const inQuarter = delays.filter((d) => d >= 2_000 + q * 500 && d < 2_500 + q * 500).length;
    assert.ok(inQuarter >= 20 && inQuarter <= 31, `quarter ${q}: ${inQuarter} of 101`);
  }
});

test('once failed, slowly: 10 to 15 s, and never sooner than a Retry-After', () => {
  const delays = randoms.map((r) => retryDelayMs(9, true, 0, r));
  assert.ok(delays.every((d) => d >= 10_000 && d < 15_000));
  assert.ok(randoms.every((r) => retryDelayMs(9, true, 20_000, r) >= 20_000));
});
