import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCrashCount, restartDelayMs } from './restart-backoff.js';

test('a process that ran long enough is respawned at once', () => {
  assert.equal(nextCrashCount(5, 60_000), 0);
  assert.equal(restartDelayMs(0), 0);
});

test('quick crashes back off exponentially up to a cap', () => {
  let count = 0;
  const delays = [];
  for (let i = 0; i < 10; i++) {
    count = nextCrashCount(count, 500);
    delays.push(restartDelayMs(count));
  }
  assert.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 1600]);
  assert.equal(Math.max(...delays), 10_000);
});
