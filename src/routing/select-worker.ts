// Weighted rendezvous (highest random weight) hashing. Pure: no I/O.
//
// Every (key, worker) pair draws u in (0, 1) from a 64-bit hash; the worker with the highest
// score -w / ln(u) wins, which gives each worker a share of keys exactly proportional to its weight,
// and when a worker leaves only its own keys move. Within one weight class the highest u wins, so
// the table scores each class by its best u and takes one Math.log per distinct weight, not per worker.
import type { ClientKey } from './client-key.js';
import { fmix32, hashString, unitFromHalves } from './hash64.js';

export interface RoutableWorker {
  readonly id: string;
  /** Relative share of keys; a positive finite number. @default 1 */
  readonly weight?: number;
}

export interface RoutingTable {
  /** Worker ids in the table, in the order given. */
  readonly ids: readonly string[];
  /**
   * The worker for this key, or undefined when the table is empty. `avoid` names workers to skip
   * for this one answer (a client's hint that it just failed there, e.g. on both workers of a
   * host that went down); when it would skip every worker, it is ignored.
   */
  select(key: ClientKey, avoid?: string | readonly string[]): string | undefined;
}

interface WeightClass {
  readonly weight: number;
  readonly ids: string[];
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
}

export function createRoutingTable(workers: readonly RoutableWorker[]): RoutingTable {
  const classes = new Map<number, { ids: string[]; hi: number[]; lo: number[] }>();
  const seen = new Set<string>();
  for (const worker of workers) {
    const weight = worker.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`worker ${worker.id}: weight must be a positive finite number, got ${weight}`);
    if (seen.has(worker.id)) throw new RangeError(`worker ${worker.id} is listed twice`);
    seen.add(worker.id);
    const h = hashString(worker.id);
    const group = classes.get(weight) ?? { ids: [], hi: [], lo: [] };
    group.ids.push(worker.id);
    group.hi.push(h.hi);
    group.lo.push(h.lo);
    classes.set(weight, group);
  }
  const table: WeightClass[] = [...classes].map(([weight, g]) => ({
    weight,
    ids: g.ids,
    hi: Uint32Array.from(g.hi),
    lo: Uint32Array.from(g.lo),
  }));
  const ids = workers.map((w) => w.id);
  const single = table.length === 1;

  // Where each id sits, so an avoided worker is skipped by index, not by string comparison.
  const position = new Map<string, { cls: number; at: number }>();
  table.forEach((cls, c) => cls.ids.forEach((id, at) => position.set(id, { cls: c, at })));

  /** Per weight class, the indices to skip; undefined when nothing known is avoided. */
  function skipsOf(avoid: string | readonly string[] | undefined): number[][] | undefined {
    if (avoid === undefined) return undefined;
    let skips: number[][] | undefined;
    let count = 0;
    for (const id of typeof avoid === 'string' ? [avoid] : avoid) {
      const at = position.get(id);
      if (at === undefined) continue;
      skips ??= table.map(() => []);
      if (!skips[at.cls]!.includes(at.at)) {
        skips[at.cls]!.push(at.at);
        count++;
      }
    }
    // Avoiding everyone means avoiding no one: some answer beats none.
    return count >= ids.length ? undefined : skips;
  }

  function select(key: ClientKey, avoid?: string | readonly string[]): string | undefined {
    if (ids.length === 0) return undefined;
    if (ids.length === 1) return ids[0];
    const keyHi = key.hash.hi;
    const keyLo = key.hash.lo;
    const skips = skipsOf(avoid);
    let bestId: string | undefined;
    let bestScore = -Infinity;
    for (let c = 0; c < table.length; c++) {
      const cls = table[c]!;
      const { hi, lo } = cls;
      const skip = skips?.[c];
      const skipAt = skip === undefined || skip.length === 0 ? -1 : skip[0]!;
      const moreSkips = skip !== undefined && skip.length > 1 ? skip : undefined;
      // The pair hash is compared as two uint32 halves; only the class winner becomes a float.
      let bestHi = -1;
      let bestLo = -1;
      let bestAt = -1;
      for (let i = 0; i < hi.length; i++) {
        if (i === skipAt || (moreSkips !== undefined && moreSkips.includes(i))) continue;
        // Mix (key, worker) into 64 bits: murmur3 x86_128-style lane cross-mixing with fmix32.
        const whi = hi[i]!;
        let h1 = keyHi ^ lo[i]!;
        let h2 = keyLo ^ ((whi << 7) | (whi >>> 25));
        h1 = (h1 + h2) | 0;
        h2 = (h2 + h1) | 0;
        h1 = fmix32(h1);
        h2 = fmix32(h2);
        h1 = (h1 + h2) >>> 0;
        h2 = (h2 + h1) >>> 0;
        if (h1 > bestHi || (h1 === bestHi && h2 > bestLo)) {
          bestHi = h1;
          bestLo = h2;
          bestAt = i;
        }
      }
      if (bestAt === -1) continue;
      // With a single weight class the best draw wins outright: no logarithm needed.
      const score = single ? 0 : -cls.weight / Math.log(unitFromHalves(bestHi, bestLo));
      if (bestId === undefined || score > bestScore) {
        bestScore = score;
        bestId = cls.ids[bestAt];
      }
    }
    return bestId;
  }

  return { ids, select };
}
