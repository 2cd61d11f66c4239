import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, bucketAt, bucketOfHash, drawKeysOf, drawTime, rankAt } from './bucket-draw.js';

test('each worker\'s draws are a permutation of the buckets, and bucketAt inverts rankAt', () => {
  const ids = ['w0', 'w1', 'worker-17', 'a'];
  const keys = drawKeysOf(ids);
  ids.forEach((id, w) => {
    const seen = new Uint8Array(BUCKETS);
    for (let b = 0; b < BUCKETS; b++) {
      const r = rankAt(keys, w, b);
      assert.ok(r >= 0 && r < BUCKETS && seen[r] === 0, `${id}: rank ${r} at bucket ${b}`);
      seen[r] = 1;
      if (bucketAt(keys, w, r) !== b) assert.fail(`${id}: bucketAt(rankAt(${b})) = ${bucketAt(keys, w, r)}`);
    }
  });
});

test('at one bucket, the draws of 1,000 workers spread evenly over the ranks', () => {
  const keys = drawKeysOf(Array.from({ length: 1000 }, (_, i) => `w${i}`));
  for (const bucket of [0, 1, 12345, BUCKETS - 1]) {
    const bins = new Array<number>(8).fill(0);
    for (let w = 0; w < 1000; w++) bins[Math.floor((rankAt(keys, w, bucket) / BUCKETS) * 8)]!++;
    // 125 expected per bin, binomial sd about 10.5: 4 sd either way.
    for (const count of bins) assert.ok(Math.abs(count - 125) < 42, `bucket ${bucket}: bins ${bins.join(' ')}`);
  }
});

test('draw times rise strictly with the rank, so within one weight ranks order as times do', () => {
  for (const weight of [1, 2.5, 1000]) {
    let previous = -Infinity;
    for (let r = 0; r < BUCKETS; r++) {
      const t = drawTime(r, weight);
      if (!(t > previous)) assert.fail(`weight ${weight}: time ${t} at rank ${r} not above ${previous}`);
      previous = t;
    }
  }
});

test('the bucket is the top bits of the hash', () => {
  assert.equal(bucketOfHash(0), 0);
  assert.equal(bucketOfHash(0xffffffff), BUCKETS - 1);
  assert.equal(bucketOfHash(0x80000000), BUCKETS / 2);
});
