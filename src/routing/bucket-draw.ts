// What each worker draws for each bucket of the key space. Pure: no I/O.
//
// A key's bucket is the top BUCKET_BITS of its 64-bit hash. Every worker draws one number per
// bucket and the lowest draw wins the bucket: rendezvous hashing over buckets instead of keys, so
// only a leaving worker's buckets move, and only to a joining worker's. The draws are a keyed
// permutation of the bucket indices: worker w draws rank(w, b) at bucket b, and bucket(w, r) is the
// bucket where it draws r. Both directions are a few integer operations, so one can ask what a
// worker draws at one bucket (scoring every worker, for few workers or for `avoid`) and also list
// the buckets where a worker draws lowest (ranks 0, 1, 2, …: building the table for many workers
// without scoring every worker at every bucket). A permutation also spreads each worker's low draws
// evenly: it has exactly one bucket per rank, which halves the spread of the bucket counts against
// independent draws.
import { fmix32, hashString } from './hash64.js';

export const BUCKET_BITS = 20;
export const BUCKETS = 2 ** BUCKET_BITS;
const MASK = BUCKETS - 1;
// x ^= x >>> HALF is its own inverse on BUCKET_BITS bits.
const HALF = BUCKET_BITS / 2;

/** The key's bucket, from the top bits of its hash. */
export function bucketOfHash(hi: number): number {
  return hi >>> (32 - BUCKET_BITS);
}

/** The inverse of an odd number modulo 2^32 (Newton's iteration; each step doubles the correct bits). */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x;
}

/** Per-worker permutation keys, struct of arrays so the loops over workers stay on typed arrays. */
export interface DrawKeys {
  readonly xor: Int32Array;
  readonly mul: Int32Array; // three odd multipliers per worker
  readonly inv: Int32Array; // their inverses
  /** Breaks a tie between equal draws (two workers, one rank): a second, independent draw. */
  readonly tie: Int32Array;
}

export function drawKeysOf(ids: readonly string[]): DrawKeys {
  const n = ids.length;
  const keys = { xor: new Int32Array(n), mul: new Int32Array(3 * n), inv: new Int32Array(3 * n), tie: new Int32Array(n) };
  ids.forEach((id, w) => {
    const h = hashString(id, 0xb0c4e7);
    keys.xor[w] = h.lo & MASK;
    const muls = [h.hi | 1, fmix32(h.hi ^ 0x9e3779b9) | 1, fmix32(h.lo ^ 0x7f4a7c15) | 1];
    muls.forEach((m, i) => {
      keys.mul[3 * w + i] = m;
      keys.inv[3 * w + i] = inverseOdd(m);
    });
    keys.tie[w] = fmix32(h.hi ^ h.lo ^ 0x2545f491);
  });
  return keys;
}

/** What worker w draws at bucket b: its rank in [0, BUCKETS). */
export function rankAt(keys: DrawKeys, w: number, b: number): number {
  const m = keys.mul;
  let x = b ^ keys.xor[w]!;
  x = Math.imul(x, m[3 * w]!) & MASK;
  x ^= x >>> HALF;
  x = Math.imul(x, m[3 * w + 1]!) & MASK;
  x ^= x >>> HALF;
  x = Math.imul(x, m[3 * w + 2]!) & MASK;
  return x ^ (x >>> HALF);
}

/** The bucket where worker w draws rank r: the inverse of rankAt. */
export function bucketAt(keys: DrawKeys, w: number, r: number): number {
  const m = keys.inv;
  let x = r ^ (r >>> HALF);
  x = Math.imul(x, m[3 * w + 2]!) & MASK;
  x ^= x >>> HALF;
  x = Math.imul(x, m[3 * w + 1]!) & MASK;
  x ^= x >>> HALF;
  x = Math.imul(x, m[3 * w]!) & MASK;
  return x ^ keys.xor[w]!;
}

/** Tie-break between two workers that drew the same: the higher wins. */
export function tieAt(keys: DrawKeys, w: number, b: number): number {
  return fmix32(b ^ keys.tie[w]!);
}

/**
 * A rank as the arrival time of an exponential clock of rate `weight`: -ln(1 - u) / weight, with u
 * the rank's midpoint in (0, 1). The lowest time wins, so each worker wins a share of buckets
 * proportional to its weight; with one weight for all, comparing ranks is the same and needs no log.
 */
export function drawTime(rank: number, weight: number): number {
  return -Math.log1p(-(rank + 0.5) / BUCKETS) / weight;
}
