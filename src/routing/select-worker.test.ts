import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRoutingTable } from './select-worker.js';
import { clientKey } from './client-key.js';
import { distinctKeys, randomIPv4, randomIPv6, seededRandom } from './test-keys.js';

const ipv4From = (seed: number) => { const random = seededRandom(seed); return () => randomIPv4(random); };
const workerIds = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `w${i}` }));

function countsOf(table: ReturnType<typeof createRoutingTable>, keys: ReturnType<typeof distinctKeys>) {
  const counts = new Map<string, number>(table.ids.map((id) => [id, 0]));
  for (const key of keys) {
    const id = table.select(key)!;
    counts.set(id, counts.get(id)! + 1);
  }
  return counts;
}

// The floor no stateless hash beats (shared/routing-notes.md): 1 + 4*sqrt(n/N) is a safe bound.
const balanceBound = (workers: number, keys: number) => 1 + 4 * Math.sqrt(workers / keys);

test('the same key always gets the same worker, whatever the order of the worker list', () => {
  const keys = distinctKeys(1000, ipv4From(1));
  const forward = createRoutingTable(workerIds(8));
  const backward = createRoutingTable(workerIds(8).reverse());
  for (const key of keys) {
    const first = forward.select(key);
    assert.equal(forward.select(key), first);
    assert.equal(backward.select(key), first);
  }
});

for (const [name, make] of [
  ['uniform IPv4', (r: () => number) => () => randomIPv4(r)],
  ['uniform IPv6', (r: () => number) => () => randomIPv6(r)],
  // Sequential addresses catch hashes that only look at the low bits or at byte parity.
  ['sequential IPv4', () => { let n = 0x0a000000; return () => { n++; return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'); }; }],
] as const) {
  test(`100,000 ${name} keys over 8 workers land within the random-assignment floor`, () => {
    const keys = distinctKeys(100_000, make(seededRandom(42)));
    const counts = countsOf(createRoutingTable(workerIds(8)), keys);
    const mean = keys.length / 8;
    const max = Math.max(...counts.values());
    const min = Math.min(...counts.values());
    assert.ok(max / mean <= balanceBound(8, keys.length), `max/mean ${max / mean}`);
    assert.ok(min / mean >= 2 - balanceBound(8, keys.length), `min/mean ${min / mean}`);
  });
}

test('removing a worker moves only that worker\'s keys', () => {
  const keys = distinctKeys(50_000, ipv4From(7));
  const all = createRoutingTable(workerIds(8));
  const without = createRoutingTable(workerIds(8).filter((w) => w.id !== 'w3'));
  let moved = 0;
  for (const key of keys) {
    const before = all.select(key);
    const after = without.select(key);
    if (before !== after) {
      moved++;
      assert.equal(before, 'w3', 'a key of a surviving worker moved');
    }
  }
  assert.ok(Math.abs(moved / keys.length - 1 / 8) < 0.01, `moved ${moved / keys.length}`);
});

test('adding a worker moves about 1/(n+1) of the keys, all of them to the new worker', () => {
  const keys = distinctKeys(50_000, ipv4From(8));
  const eight = createRoutingTable(workerIds(8));
  const nine = createRoutingTable(workerIds(9));
  let moved = 0;
  for (const key of keys) {
    const after = nine.select(key);
    if (eight.select(key) !== after) {
      moved++;
      assert.equal(after, 'w8');
    }
  }
  assert.ok(Math.abs(moved / keys.length - 1 / 9) < 0.01, `moved ${moved / keys.length}`);
});

test('weights are honoured in proportion', () => {
  const keys = distinctKeys(60_000, ipv4From(9));
  const table = createRoutingTable([
    { id: 'a', weight: 1 },
    { id: 'b', weight: 2 },
    { id: 'c', weight: 3 },
    { id: 'd', weight: 2 },
  ]);
  const counts = countsOf(table, keys);
  for (const [id, weight] of [['a', 1], ['b', 2], ['c', 3], ['d', 2]] as const) {
    const share = counts.get(id)! / keys.length;
    assert.ok(Math.abs(share - weight / 8) < 0.01, `${id}: share ${share}, expected ${weight / 8}`);
  }
});

test('changing one weight moves keys only to or from that worker', () => {
  const keys = distinctKeys(20_000, ipv4From(10));
  const before = createRoutingTable(workerIds(4));
  const after = createRoutingTable([{ id: 'w0' }, { id: 'w1', weight: 2 }, { id: 'w2' }, { id: 'w3' }]);
  let moved = 0;
  for (const key of keys) {
    const a = before.select(key);
    const b = after.select(key);
    if (a !== b) {
      assert.equal(b, 'w1', 'a key moved between two workers whose weight did not change');
      moved++;
    }
  }
  // w1's share goes from 1/4 to 2/5: 3/20 of the keys move to it, and only those.
  const share = moved / keys.length;
  assert.ok(moved > 0, 'raising a weight moved no key');
  assert.ok(Math.abs(share - (2 / 5 - 1 / 4)) < 0.01, `moved share ${share}, expected ${2 / 5 - 1 / 4}`);
});

test('avoid skips a worker for one answer, consistently with the table without it', () => {
  const keys = distinctKeys(5_000, ipv4From(11));
  const table = createRoutingTable(workerIds(4));
  const without = createRoutingTable(workerIds(4).filter((w) => w.id !== 'w1'));
  for (const key of keys) {
    const answer = table.select(key, 'w1');
    assert.notEqual(answer, 'w1');
    assert.equal(answer, without.select(key));
  }
  const lonely = createRoutingTable([{ id: 'only' }]);
  assert.equal(lonely.select(keys[0]!, 'only'), 'only', 'the only live worker is named anyway');
  assert.equal(createRoutingTable([]).select(keys[0]!), undefined);
});

test('avoiding several workers (a host that went down) skips them all; avoiding everyone avoids no one', () => {
  const keys = distinctKeys(5_000, ipv4From(12));
  const table = createRoutingTable([...workerIds(5), { id: 'heavy', weight: 3 }]);
  const without = createRoutingTable([...workerIds(5).filter((w) => w.id !== 'w1' && w.id !== 'w3'), { id: 'heavy', weight: 3 }]);
  for (const key of keys) assert.equal(table.select(key, ['w1', 'w3', 'w1', 'nobody']), without.select(key));
  const all = ['w0', 'w1', 'w2', 'w3', 'w4', 'heavy'];
  for (const key of keys.slice(0, 100)) assert.equal(table.select(key, all), table.select(key));
  const withoutHeavy = createRoutingTable(workerIds(5));
  for (const key of keys) assert.equal(table.select(key, ['heavy']), withoutHeavy.select(key));
});

test('bad tables are refused', () => {
  assert.throws(() => createRoutingTable([{ id: 'a', weight: 0 }]), /weight/);
  assert.throws(() => createRoutingTable([{ id: 'a', weight: Number.NaN }]), /weight/);
  assert.throws(() => createRoutingTable([{ id: 'a' }, { id: 'a' }]), /twice/);
});

test('one client is one key across address spellings', () => {
  const table = createRoutingTable(workerIds(16));
  const same = ['203.0.113.7', '::ffff:203.0.113.7', '::FFFF:cb00:7107', '0:0:0:0:0:ffff:203.0.113.7'];
  const picks = new Set(same.map((a) => table.select(clientKey(a)!)));
  assert.equal(picks.size, 1);
});
