import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeRoutingTable, createRoutingTable, updateRoutingTable, type RoutableWorker, type RoutingTable } from './select-worker.js';
import { clientKey, type ClientKey } from './client-key.js';
import { BUCKETS } from './bucket-draw.js';
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

// ---- at 1,000 workers: the table of bucket winners ----

const many = (n: number, weightOf: (i: number) => number = () => 1): RoutableWorker[] => Array.from({ length: n }, (_, i) => ({ id: `w${i}`, weight: weightOf(i) }));
const shuffled = <T>(items: readonly T[], seed: number) => {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};
let keys100k: ClientKey[] | undefined;
const manyKeys = () => (keys100k ??= distinctKeys(100_000, ipv4From(21)));
/** A key in bucket b (the top 20 bits of its hash), to ask a table about every bucket. */
const keyInBucket = (b: number): ClientKey => ({ text: `bucket ${b}`, id: b, hash: { hi: (b * 4096 + 2048) >>> 0, lo: 0x5eed } });

/** Buckets where two tables answer differently, over every `step`-th bucket. */
function bucketsDiffering(a: RoutingTable, b: RoutingTable, step = 1): number {
  let differ = 0;
  for (let bucket = 0; bucket < BUCKETS; bucket += step) if (a.select(keyInBucket(bucket)) !== b.select(keyInBucket(bucket))) differ++;
  return differ;
}

test('two fronts agree at 1,000 workers: one answer whatever the order of the list, built at once or bucket by bucket', () => {
  for (const weightOf of [() => 1, (i: number) => 1 + (i % 3)]) {
    const workers = many(1000, weightOf);
    const built = createRoutingTable(workers);
    completeRoutingTable(built);
    const shuffledLazy = createRoutingTable(shuffled(workers, 5));
    const reversedLazy = createRoutingTable([...workers].reverse());
    for (const key of manyKeys()) {
      const answer = built.select(key);
      if (shuffledLazy.select(key) !== answer || reversedLazy.select(key) !== answer) assert.fail(`${key.text}: ${answer} / ${shuffledLazy.select(key)} / ${reversedLazy.select(key)}`);
    }
    assert.equal(bucketsDiffering(built, shuffledLazy, 3), 0);
  }
});

test('one worker of 1,000 leaving moves its keys and no other, about 1/1000 of them', () => {
  const keys = manyKeys();
  const all = createRoutingTable(many(1000));
  const without = createRoutingTable(many(1000).filter((w) => w.id !== 'w500'));
  let moved = 0;
  let held = 0;
  for (const key of keys) {
    const before = all.select(key);
    if (before === 'w500') held++;
    if (before !== without.select(key)) {
      moved++;
      assert.equal(before, 'w500', `${key.text} moved from ${before}, which stayed`);
    }
  }
  assert.equal(moved, held, 'every key of the leaver moved');
  assert.ok(Math.abs(moved / keys.length - 1 / 1000) < 0.0005, `moved ${moved / keys.length}`);
  assert.equal(bucketsDiffering(all, without, 3), [...Array(Math.ceil(BUCKETS / 3)).keys()].filter((i) => all.select(keyInBucket(3 * i)) === 'w500').length);
});

test('one worker joining 1,000 takes about 1/1001 of the keys, every moved key to it', () => {
  const keys = manyKeys();
  const before = createRoutingTable(many(1000));
  const after = createRoutingTable(many(1001));
  let moved = 0;
  for (const key of keys) {
    const answer = after.select(key);
    if (before.select(key) !== answer) {
      moved++;
      assert.equal(answer, 'w1000', `${key.text} moved to ${answer}, not to the joiner`);
    }
  }
  assert.ok(Math.abs(moved / keys.length - 1 / 1001) < 0.0005, `moved ${moved / keys.length}`);
});

test('weights at 1,000 workers: a weight-2 worker gets twice the buckets and keys of a weight-1 worker', () => {
  const table = createRoutingTable(many(1000, (i) => (i % 2 === 0 ? 1 : 2)));
  completeRoutingTable(table);
  const heavy = (id: string) => Number(id.slice(1)) % 2 === 1;
  let heavyBuckets = 0;
  for (let b = 0; b < BUCKETS; b++) if (heavy(table.select(keyInBucket(b))!)) heavyBuckets++;
  // 500 workers of each weight: twice the share per worker is 2/3 of all for the heavy ones.
  const ratio = heavyBuckets / (BUCKETS - heavyBuckets);
  assert.ok(Math.abs(ratio / 2 - 1) < 0.01, `buckets per heavy worker / per light worker: ${ratio}`);
  const keys = manyKeys();
  const heavyKeys = keys.filter((key) => heavy(table.select(key)!)).length;
  assert.ok(Math.abs(heavyKeys / keys.length - 2 / 3) < 0.01, `share of the heavy workers: ${heavyKeys / keys.length}`);
});

test('avoid at 1,000 workers answers as the table without the avoided workers', () => {
  const keys = manyKeys();
  const avoided = ['w3', 'w250', 'w251', 'w999'];
  for (const weightOf of [() => 1, (i: number) => 1 + (i % 2)]) {
    const table = createRoutingTable(many(1000, weightOf));
    const without = createRoutingTable(many(1000, weightOf).filter((w) => !avoided.includes(w.id)));
    let rerouted = 0;
    for (const key of keys) {
      const answer = table.select(key, avoided);
      if (avoided.includes(table.select(key)!)) rerouted++;
      if (answer !== without.select(key)) assert.fail(`${key.text}: ${answer}, without them ${without.select(key)}`);
    }
    assert.ok(rerouted > 200, `only ${rerouted} keys had an avoided worker`);
    // A key avoiding its own worker, as a client that just failed there does.
    for (const key of keys.slice(0, 300)) {
      const own = table.select(key)!;
      assert.equal(table.select(key, own), createRoutingTable(many(1000, weightOf).filter((w) => w.id !== own)).select(key));
    }
  }
});

test('updateRoutingTable answers as a table built afresh, whatever the previous table knew', () => {
  const workers = many(1000, (i) => (i % 10 === 0 ? 2 : 1));
  const complete = createRoutingTable(workers);
  completeRoutingTable(complete);
  const partial = createRoutingTable(workers);
  for (const key of manyKeys().slice(0, 40_000)) partial.select(key);
  const changes: [string, RoutableWorker[]][] = [
    ['one leaves', workers.filter((w) => w.id !== 'w10')],
    ['one joins', [...workers, { id: 'new' }]],
    ['a weight changes', workers.map((w) => (w.id === 'w11' ? { id: 'w11', weight: 3 } : w))],
    ['three leave, two join', [...workers.filter((w) => !['w1', 'w2', 'w500'].includes(w.id)), { id: 'x' }, { id: 'y', weight: 2 }]],
    ['ten join', [...workers, ...many(1010).slice(1000)]],
    ['down to 20', workers.slice(0, 20)],
  ];
  for (const [label, next] of changes) {
    const fresh = createRoutingTable(next);
    for (const [kind, previous] of [['complete', complete], ['partial', partial]] as const) {
      const updated = updateRoutingTable(previous, next);
      assert.deepEqual(updated.ids, fresh.ids);
      assert.equal(bucketsDiffering(updated, fresh, 5), 0, `${label}, from a ${kind} table`);
    }
  }
  const small = createRoutingTable(many(10));
  assert.equal(bucketsDiffering(updateRoutingTable(small, many(30)), createRoutingTable(many(30)), 11), 0, 'from 10 to 30 workers');
});
