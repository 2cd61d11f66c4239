// The bucket -> worker table for many workers. Pure.
//
// Each bucket belongs to the worker with the lowest draw there (bucket-draw.ts). A table can be
// filled one bucket at a time (score every worker at that bucket: n draws) or all at once. Scoring
// every worker at every bucket would cost BUCKETS x n draws; instead every worker lists its own
// buckets in rank order up to a limit and each bucket keeps the lowest listed draw. A bucket's
// winner is listed whenever it drew below the limit; the few buckets where nobody did are scored
// worker by worker. With the limit at ln(n)/n of the ranks, about BUCKETS/n buckets are left, so a
// build lists about BUCKETS x (ln n + 1) draws, whatever the weights.
import { BUCKETS, BUCKET_BITS, bucketAt, drawKeysOf, drawTime, rankAt, tieAt, type DrawKeys } from './bucket-draw.js';

// Local copies: V8 folds a module's own constants into the loops, not imported ones.
const MASK = BUCKETS - 1;
const HALF = BUCKET_BITS / 2;

/** owner[bucket]: the index of the bucket's winner, or emptyOf(owner) while not known. */
export type OwnerArray = Uint16Array | Uint32Array;

export interface WeightClass {
  readonly weight: number;
  readonly workers: Int32Array;
}

/** The workers as the table sees them; indices are positions in `ids`. */
export interface Members {
  readonly ids: readonly string[];
  readonly weights: Float64Array;
  readonly keys: DrawKeys;
  readonly classes: readonly WeightClass[];
}

export function membersOf(ids: readonly string[], weights: readonly number[]): Members {
  const byWeight = new Map<number, number[]>();
  weights.forEach((weight, w) => {
    const workers = byWeight.get(weight);
    if (workers === undefined) byWeight.set(weight, [w]);
    else workers.push(w);
  });
  const classes = [...byWeight].map(([weight, workers]) => ({ weight, workers: Int32Array.from(workers) }));
  return { ids, weights: Float64Array.from(weights), keys: drawKeysOf(ids), classes };
}

/** Whether worker a beats worker b on a tie at bucket: the higher tie draw, then the larger id. */
function winsTie(m: Members, a: number, b: number, bucket: number): boolean {
  const ta = tieAt(m.keys, a, bucket);
  const tb = tieAt(m.keys, b, bucket);
  return ta !== tb ? ta > tb : m.ids[a]! > m.ids[b]!;
}

/** The draw that orders workers at a bucket: the rank with one weight class, else the draw time. */
function drawOf(m: Members, w: number, bucket: number): number {
  const rank = rankAt(m.keys, w, bucket);
  return m.classes.length === 1 ? rank : drawTime(rank, m.weights[w]!);
}

/** Whether worker a beats worker b at bucket. */
function beats(m: Members, a: number, b: number, bucket: number): boolean {
  const da = drawOf(m, a, bucket);
  const db = drawOf(m, b, bucket);
  return da !== db ? da < db : winsTie(m, a, b, bucket);
}

/** The lowest rank at bucket among `workers` not flagged in `skip`, ties resolved; -1 when all are skipped. */
function lowestAt(m: Members, workers: Int32Array, bucket: number, skip: Uint8Array | undefined): number {
  const { xor, mul } = m.keys;
  let at = -1;
  let rank = BUCKETS;
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i]!;
    if (skip !== undefined && skip[w] === 1) continue;
    // rankAt(m.keys, w, bucket), inlined: this loop is all the cost of scoring a bucket.
    const k = 3 * w;
    let x = bucket ^ xor[w]!;
    x = Math.imul(x, mul[k]!) & MASK;
    x ^= x >>> HALF;
    x = Math.imul(x, mul[k + 1]!) & MASK;
    x ^= x >>> HALF;
    x = Math.imul(x, mul[k + 2]!) & MASK;
    x ^= x >>> HALF;
    if (x < rank || (x === rank && winsTie(m, w, at, bucket))) {
      rank = x;
      at = w;
    }
  }
  return at;
}

/**
 * The winner at one bucket, scoring every worker not flagged in `skip`; -1 when all are skipped.
 * Within a weight class the lowest rank is the lowest time, so only each class's best is logged.
 */
export function winnerAt(m: Members, bucket: number, skip?: Uint8Array): number {
  const classes = m.classes;
  if (classes.length === 1) return lowestAt(m, classes[0]!.workers, bucket, skip);
  let best = -1;
  let bestTime = Infinity;
  for (const cls of classes) {
    const at = lowestAt(m, cls.workers, bucket, skip);
    if (at === -1) continue;
    const time = drawTime(rankAt(m.keys, at, bucket), cls.weight);
    if (best === -1 || time < bestTime || (time === bestTime && winsTie(m, at, best, bucket))) {
      best = at;
      bestTime = time;
    }
  }
  return best;
}

function totalWeight(m: Members): number {
  let total = 0;
  for (const w of m.weights) total += w;
  return total;
}

/** The listing limit for a fresh table: ln(n)/n of the ranks, or the time where as many are listed. */
function limitFor(m: Members): number {
  const n = m.ids.length;
  return m.classes.length === 1 ? Math.min(BUCKETS, Math.ceil((BUCKETS * Math.log(n)) / n)) : Math.log(n) / totalWeight(m);
}

/**
 * How many ranks worker w lists: those that draw below the limit. Per weight class, the draw time
 * of each listed rank, so the build takes one log per rank and class, not per rank and worker.
 */
function listedRanks(m: Members, cls: WeightClass, limit: number): { count: number; times: Float64Array | undefined } {
  if (m.classes.length === 1) return { count: limit, times: undefined };
  const times: number[] = [];
  for (let r = 0; r < BUCKETS; r++) {
    const time = drawTime(r, cls.weight);
    if (time >= limit) break;
    times.push(time);
  }
  return { count: times.length, times: Float64Array.from(times) };
}

/** An owner array for n workers with every bucket not known yet. */
export function emptyOwners(n: number): OwnerArray {
  return n < 0xffff ? new Uint16Array(BUCKETS).fill(0xffff) : new Uint32Array(BUCKETS).fill(0xffffffff);
}

export const emptyOf = (owner: OwnerArray) => (owner instanceof Uint16Array ? 0xffff : 0xffffffff);

/** What a build costs, in draws scored one bucket at a time: a listed draw costs about 4 scored ones (a cache miss). */
export const buildCost = (n: number) => 4 * BUCKETS * (Math.log(n) + 1);

/** Every bucket's winner. */
export function buildOwners(m: Members): OwnerArray {
  const n = m.ids.length;
  const limit = limitFor(m);
  const owner = emptyOwners(n);
  // The lowest listed draw per bucket; scratch, dropped once the table is built.
  const best = m.classes.length === 1 ? new Uint32Array(BUCKETS).fill(0xffffffff) : new Float64Array(BUCKETS).fill(Infinity);
  for (const cls of m.classes) {
    const { count, times } = listedRanks(m, cls, limit);
    for (const w of cls.workers) {
      for (let r = 0; r < count; r++) {
        const b = bucketAt(m.keys, w, r);
        const draw = times === undefined ? r : times[r]!;
        const current = best[b]!;
        if (draw < current || (draw === current && winsTie(m, w, owner[b]!, b))) {
          best[b] = draw;
          owner[b] = w;
        }
      }
    }
  }
  for (let b = 0; b < BUCKETS; b++) if (!(best[b]! < limit)) owner[b] = winnerAt(m, b);
  return owner;
}

/**
 * The owners for `next` from those of `previous`, bucket by bucket: a bucket keeps its owner unless
 * a joiner beats it there; a leaver's buckets become unknown (scored when first asked for). A new
 * weight is a leave and a join. Undefined when so many joined that a fresh table is cheaper.
 */
export function carryOwners(previous: Members, before: OwnerArray, next: Members, maxJoiners: number): OwnerArray | undefined {
  const indexOf = new Map(next.ids.map((id, w) => [id, w]));
  const n = next.ids.length;
  const owner = emptyOwners(n);
  // previous index -> next index, -1 for a worker that left.
  const remap = new Int32Array(previous.ids.length).fill(-1);
  const stayed = new Uint8Array(n);
  previous.ids.forEach((id, w) => {
    const at = indexOf.get(id);
    if (at !== undefined && next.weights[at] === previous.weights[w]) {
      remap[w] = at;
      stayed[at] = 1;
    }
  });
  const joined: number[] = [];
  stayed.forEach((s, w) => s === 0 && joined.push(w));
  if (joined.length > maxJoiners) return undefined;
  const emptyBefore = emptyOf(before);
  for (let b = 0; b < BUCKETS; b++) {
    const o = before[b]!;
    if (o === emptyBefore) continue;
    let win = remap[o]!;
    if (win === -1) continue;
    for (const x of joined) if (beats(next, x, win, b)) win = x;
    owner[b] = win;
  }
  return owner;
}
