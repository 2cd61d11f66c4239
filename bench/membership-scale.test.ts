// Membership at scale, at smoke size, so it never rots: against a real redis-server (missing, the
// test fails), every joined worker reaches every front, every killed one leaves every front, and
// nobody leaves while nobody dies. Timings are never asserted (the machine is shared and noisy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { REDIS_SERVER_BIN } from '../src/testing/redis-server.js';
import { membershipScaleMarkdown, runMembershipScale } from './membership-scale.js';

test('membership at scale (smoke size): joins reach and deaths leave every front; Redis and front figures', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(REDIS_SERVER_BIN), `${REDIS_SERVER_BIN} is missing: install the Debian package redis-server`);
  const result = await runMembershipScale({
    workers: 40, fronts: 2, processes: 2, windowSeconds: 2, batch: 10, batchDeaths: 2, singleDeaths: 2, tableRepeats: 1,
    log: (line) => t.diagnostic(line),
  });
  for (const line of membershipScaleMarkdown(result).split('\n')) t.diagnostic(line);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'the result is plain JSON');

  assert.equal(result.redis.members, 40, 'every worker registered during the window');
  assert.equal(result.front.changes, 0, 'no worker left or joined while nobody died or joined');
  assert.ok(result.front.refreshesPerSecond > 0 && result.front.refreshCpuMs.p50 <= result.front.refreshCpuMs.max);
  for (const command of ['eval', 'smembers', 'mget']) assert.ok(result.redis.commands.some((c) => c.command === command && c.perSecond > 0), `${command} in commandstats`);
  assert.ok(result.redis.opsPerSecond > 0 && result.redis.bytesPerWorker > 0);

  assert.deepEqual(result.joins.single, { ...result.joins.single, count: 2, seen: 2 });
  assert.deepEqual(result.joins.batch, { ...result.joins.batch, count: 20, seen: 20 });
  assert.deepEqual(result.deaths.single, { ...result.deaths.single, count: 2, killed: 2, left: 2 }, 'every killed worker left every front');
  assert.deepEqual(result.deaths.batch, { ...result.deaths.batch, count: 2, killed: 20, left: 20 }, 'every killed worker left every front');

  assert.deepEqual(result.table.map((row) => [row.change, row.workersAfter]), [['1 leaves', 39], ['10 leave', 30], ['1 joins', 40], ['10 join', 40]]);
});
