import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from './rate-limit.js';

test('each key gets max requests per window, then Retry-After until the window ends', () => {
  const limiter = createRateLimiter({ max: 3, windowMs: 60_000, maxKeys: 100 });
  const t0 = 1_800_000_000_000; // a window boundary (multiple of 60 s)
  assert.deepEqual([1, 2, 3].map(() => limiter.hit('a', t0 + 1000)), [0, 0, 0]);
  assert.equal(limiter.hit('a', t0 + 1000), 59);
  assert.equal(limiter.hit('a', t0 + 59_500), 1, 'never 0 while refused');
  assert.equal(limiter.hit('b', t0 + 2000), 0, 'other keys are unaffected');
  assert.equal(limiter.hit('a', t0 + 60_000), 0, 'a new window starts afresh');
});

test('memory is bounded: beyond maxKeys new keys pass uncounted, counted keys stay limited', () => {
  const limiter = createRateLimiter({ max: 1, windowMs: 1000, maxKeys: 2 });
  assert.equal(limiter.hit('a', 0), 0);
  assert.equal(limiter.hit('b', 0), 0);
  assert.equal(limiter.hit('a', 1), 1);
  for (let i = 0; i < 5; i++) assert.equal(limiter.hit('c', 2), 0);
  assert.equal(limiter.hit('c', 1000), 0);
  assert.equal(limiter.hit('c', 1001), 1, 'counted again in the next window');
});
