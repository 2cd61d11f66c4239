// What a membership change costs a front's routing table at scale, for bench/membership-scale.ts,
// with the real Membership and routing table. A front applies a refresh's read with
// membership.replace() and rebuilds the table lazily: the next request builds it from the previous
// one (routingTable()), and the buckets the change moved are scored as keys arrive. So two figures
// per change: `applyMs`, replace() and the first routingTable(); `settleMs`, one select() in every
// bucket afterwards (what a busy front spends until it answers every bucket from memory again),
// less the same sweep over a settled table.
import { Membership, type WorkerInfo } from '../src/registry/membership.js';
import type { ClientKey } from '../src/routing/client-key.js';
import { BUCKETS, BUCKET_BITS } from '../src/routing/bucket-draw.js';
import { completeRoutingTable, type RoutingTable } from '../src/routing/select-worker.js';
import { percentile } from './stats.js';

export interface TableChangeTimes { change: string; workersAfter: number; repeats: number; applyMs: { p50: number; max: number }; settleMs: { p50: number; max: number } }

const workerInfo = (i: number): WorkerInfo => ({
  id: `t${i}`, index: i, port: 3131, pid: 1, state: 'ready', weight: 1, clients: 0, startedAt: 0, lastSeenAt: 0, publicUrl: `http://10.0.${i >> 8}.${i & 255}:3131`,
});

/** One select() per bucket, with a key whose hash falls in it. */
function sweep(table: RoutingTable): number {
  const hash = { hi: 0, lo: 0 };
  const key = { text: '', id: 0, hash } as ClientKey;
  const t0 = performance.now();
  for (let bucket = 0; bucket < BUCKETS; bucket++) {
    hash.hi = (bucket << (32 - BUCKET_BITS)) >>> 0;
    table.select(key);
  }
  return performance.now() - t0;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: Math.round(percentile(sorted, 50) * 10) / 10, max: Math.round((sorted.at(-1) ?? 0) * 10) / 10 };
};

/** Changes to and from `workers` ready workers: one and `batch` leaving, one and `batch` joining. */
export function measureTableChanges(workers: number, batch: number, repeats: number): TableChangeTimes[] {
  const all = Array.from({ length: workers }, (_, i) => workerInfo(i));
  const kinds = [
    { change: '1 leaves', before: all, after: all.filter((_, i) => i !== workers >> 1) },
    { change: `${batch} leave`, before: all, after: all.slice(batch) },
    { change: '1 joins', before: all.slice(1), after: all },
    { change: `${batch} join`, before: all.slice(batch), after: all },
  ];
  return kinds.map(({ change, before, after }) => {
    const apply: number[] = [];
    const settle: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const membership = new Membership();
      membership.replace(before);
      const settled = membership.routingTable();
      completeRoutingTable(settled);
      const baseline = sweep(settled);
      const t0 = performance.now();
      membership.replace(after);
      const table = membership.routingTable();
      apply.push(performance.now() - t0);
      settle.push(Math.max(0, sweep(table) - baseline));
    }
    return { change, workersAfter: after.length, repeats, applyMs: stats(apply), settleMs: stats(settle) };
  });
}
