// Routing quality, pure, no network: how evenly, how stably and how cheaply does each scheme map
// client addresses to workers? sioroute's rendezvous table against nginx ip_hash, ketama and the
// `Number(ip digits) % n` of classic cluster examples; then, at up to 1,000 workers, against the
// other ways to keep a lookup cheap there (rendezvous per key, a 64k-bucket winner table, Maglev,
// jump hash, hosts then workers).
//   node dist/bench/routing-quality.js [--keys 100000 --repeats 5 --workers 2,4,8,16,64]
//                                      [--scale-workers 16,64,256,1000 --scale-sets 5] [--json result.json]
// Balance is read against the floor no stateless hash beats (shared/routing-notes.md): the max/mean
// of a seeded random assignment of the same distinct keys. Everything but the timings is seeded.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';
import { clientKey, type ClientKey } from '../src/routing/client-key.js';
import { BUCKETS } from '../src/routing/bucket-draw.js';
import { fmix32, hashString, hashWords, unitFromHalves } from '../src/routing/hash64.js';
import { completeRoutingTable, createRoutingTable, updateRoutingTable, type RoutableWorker, type RoutingTable } from '../src/routing/select-worker.js';
import { randomIPv4, randomIPv6, seededRandom } from '../src/routing/test-keys.js';
import { createIpModulo } from './peers/ip-modulo.js';
import { createKetamaRing, ketamaHash } from './peers/ketama.js';
import { createNginxIpHash, ipHashBytes } from './peers/nginx-ip-hash.js';

export const SCHEMES = ['sioroute', 'nginx-ip-hash', 'ketama', 'ip-modulo'] as const;
export type Scheme = (typeof SCHEMES)[number];
export const KEY_SETS = ['uniform-ipv4', 'uniform-ipv6', 'nat-like'] as const;
export type KeySetName = (typeof KEY_SETS)[number];

export interface RoutingQualityOptions {
  keys: number;
  repeats: number;
  workerCounts: number[];
  /** The scale comparison: worker counts, and how many uniform IPv4 key sets balance is the median of. @default { workerCounts: [16, 64, 256, 1000], keySets: 5 } */
  scale?: { workerCounts: number[]; keySets: number };
}
export interface Spread {
  median: number;
  min: number;
  max: number;
}
export interface BalanceRow {
  keySet: KeySetName;
  workers: number;
  /** max/mean load of a seeded random assignment of the same distinct keys (and clients per key). */
  floor: { median: number; p95: number; trials: number };
  maxOverMean: Record<Scheme, number>;
}
export interface Move {
  /** Fraction of keys whose worker changed. */
  moved: number;
  /** Fraction of keys that moved between two workers present before and after. */
  collateral: number;
}
export interface RemapRow {
  workers: number;
  removed: string;
  added: string;
  ideal: { leave: number; join: number };
  leave: Record<Scheme, Move>;
  join: Record<Scheme, Move>;
}
export interface CostRow {
  workers: number;
  nsPerLookup: Record<Scheme, Spread>;
}
export interface RoutingQualityResult {
  options: RoutingQualityOptions;
  node: string;
  keySets: { name: KeySetName; clients: number; distinct: number }[];
  /** What one timed lookup includes, per scheme. */
  timed: Record<Scheme, string>;
  balance: BalanceRow[];
  /** Over the uniform IPv4 set. */
  remap: RemapRow[];
  /** Over the uniform IPv4 set. */
  cost: CostRow[];
  /** Absent from reports written before the scale comparison existed. */
  scale?: ScaleResult;
}

/** One distinct client key, with what each scheme needs precomputed, and how many clients share it. */
interface Entry {
  address: string;
  key: ClientKey;
  bytes: Uint8Array;
  point: number;
  clients: number;
}
interface KeySet {
  name: KeySetName;
  entries: Entry[];
  clients: number;
}

const TIMED: Record<Scheme, string> = {
  sioroute: '`table.select(key)`, ClientKey parsed and hashed beforehand',
  'nginx-ip-hash': 'hash of the address bytes (as nginx has them from the socket) and `% n`',
  ketama: 'binary search of the ring, key MD5 computed beforehand',
  'ip-modulo': 'strip non-digits of the address text, `Number()`, `% n`',
};

// Seeds are fixed so a surprising figure reproduces.
const SEED = { ipv4: 0x5104, ipv6: 0x5106, nat: 0x5124, floor: 0xf1002 };
const FLOOR_TRIALS = 21;

function add(byKey: Map<string, Entry>, address: string, repeatsAreClients: boolean): void {
  const key = clientKey(address);
  if (key === undefined) throw new Error(`not an IP address: ${address}`);
  const entry = byKey.get(key.text);
  if (entry !== undefined) {
    if (repeatsAreClients) entry.clients++;
    return;
  }
  byKey.set(key.text, { address, key, bytes: ipHashBytes(address)!, point: ketamaHash(address), clients: 1 });
}

// test-keys' distinctKeys returns only ClientKeys; the peers need the address text, so dedupe here.
function uniformSet(name: KeySetName, keys: number, seed: number, draw: (random: () => number) => string): KeySet {
  const random = seededRandom(seed);
  const byKey = new Map<string, Entry>();
  for (let tries = 0; byKey.size < keys; tries++) {
    if (tries > keys * 20) throw new Error(`${name}: only ${byKey.size} distinct keys after ${tries} tries`);
    add(byKey, draw(random), false);
  }
  return { name, entries: [...byKey.values()], clients: keys };
}

// Many clients behind few addresses: 50 /24 networks with Zipf (1/rank) weights, hosts drawn
// uniformly inside each. At 100k clients hosts span .1-.254, which gives ~12k distinct addresses; smaller
// runs shrink the host range in proportion, so clients per address stay the same.
function natLikeSet(clients: number, seed: number): KeySet {
  const random = seededRandom(seed);
  const networks = 50;
  const hosts = Math.max(1, Math.min(254, Math.round((254 * clients) / 100_000)));
  const prefixes = new Set<number>();
  while (prefixes.size < networks) prefixes.add(Math.floor(random() * 2 ** 24));
  const nets = [...prefixes].map((p) => `${p >>> 16}.${(p >>> 8) & 0xff}.${p & 0xff}.`);
  const cumulative: number[] = [];
  nets.forEach((_, r) => cumulative.push((cumulative[r - 1] ?? 0) + 1 / (r + 1)));
  const total = cumulative[networks - 1]!;
  const byKey = new Map<string, Entry>();
  for (let i = 0; i < clients; i++) {
    const u = random() * total;
    const net = cumulative.findIndex((c) => u < c);
    add(byKey, `${nets[net === -1 ? networks - 1 : net]}${1 + Math.floor(random() * hosts)}`, true);
  }
  return { name: 'nat-like', entries: [...byKey.values()], clients };
}

const workerIds = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);

/** A router over these worker ids, for balance and remap (not timed: the closure costs the same for all). */
function router(scheme: Scheme, ids: readonly string[]): (e: Entry) => string {
  switch (scheme) {
    case 'sioroute': {
      const table = createRoutingTable(ids.map((id) => ({ id })));
      return (e) => table.select(e.key)!;
    }
    case 'nginx-ip-hash': {
      const upstreams = createNginxIpHash(ids);
      return (e) => upstreams.select(e.bytes)!;
    }
    case 'ketama': {
      const ring = createKetamaRing(ids);
      return (e) => ring.select(e.point)!;
    }
    case 'ip-modulo': {
      const modulo = createIpModulo(ids);
      return (e) => modulo.select(e.address)!;
    }
  }
}

function maxOverMean(loads: ArrayLike<number>, clients: number): number {
  let max = 0;
  for (let i = 0; i < loads.length; i++) max = Math.max(max, loads[i]!);
  return max / (clients / loads.length);
}

function balanceOf(scheme: Scheme, set: KeySet, n: number): number {
  const ids = workerIds(n);
  const index = new Map(ids.map((id, i) => [id, i]));
  const route = router(scheme, ids);
  const loads = new Float64Array(n);
  for (const e of set.entries) loads[index.get(route(e))!]! += e.clients;
  return maxOverMean(loads, set.clients);
}

const sortedAt = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function floorOf(set: KeySet, n: number, seed: number): BalanceRow['floor'] {
  const random = seededRandom(seed);
  const trials: number[] = [];
  const loads = new Float64Array(n);
  for (let t = 0; t < FLOOR_TRIALS; t++) {
    loads.fill(0);
    for (const e of set.entries) loads[Math.floor(random() * n)]! += e.clients;
    trials.push(maxOverMean(loads, set.clients));
  }
  trials.sort((a, b) => a - b);
  return { median: sortedAt(trials, 0.5), p95: sortedAt(trials, 0.95), trials: FLOOR_TRIALS };
}

function moves(scheme: Scheme, entries: Entry[], before: string[], after: string[]): Move {
  const routeBefore = router(scheme, before);
  const routeAfter = router(scheme, after);
  const present = new Set(before.filter((id) => after.includes(id)));
  let moved = 0;
  let collateral = 0;
  for (const e of entries) {
    const a = routeBefore(e);
    const b = routeAfter(e);
    if (a === b) continue;
    moved++;
    if (present.has(a) && present.has(b)) collateral++;
  }
  return { moved: moved / entries.length, collateral: collateral / entries.length };
}

// Results land here so V8 cannot prove the timed loops useless.
let sink = 0;

/** One timed pass per call: a loop of its own per scheme, so each call site stays monomorphic. */
function pass(scheme: Scheme, entries: Entry[], ids: string[]): () => number {
  switch (scheme) {
    case 'sioroute': {
      const table = createRoutingTable(ids.map((id) => ({ id })));
      const keys = entries.map((e) => e.key);
      return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += table.select(keys[i]!)!.charCodeAt(1); return acc; };
    }
    case 'nginx-ip-hash': {
      const upstreams = createNginxIpHash(ids);
      const bytes = entries.map((e) => e.bytes);
      return () => { let acc = 0; for (let i = 0; i < bytes.length; i++) acc += upstreams.select(bytes[i]!)!.charCodeAt(1); return acc; };
    }
    case 'ketama': {
      const ring = createKetamaRing(ids);
      const points = Uint32Array.from(entries, (e) => e.point);
      return () => { let acc = 0; for (let i = 0; i < points.length; i++) acc += ring.select(points[i]!)!.charCodeAt(1); return acc; };
    }
    case 'ip-modulo': {
      const modulo = createIpModulo(ids);
      const addresses = entries.map((e) => e.address);
      return () => { let acc = 0; for (let i = 0; i < addresses.length; i++) acc += modulo.select(addresses[i]!)!.charCodeAt(1); return acc; };
    }
  }
}

function cost(scheme: Scheme, entries: Entry[], n: number, repeats: number): Spread {
  const run = pass(scheme, entries, workerIds(n));
  sink ^= run(); // warm-up: let V8 optimise before timing
  const ns: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    sink ^= run();
    ns.push(Number(process.hrtime.bigint() - start) / entries.length);
  }
  ns.sort((a, b) => a - b);
  return { median: sortedAt(ns, 0.5), min: ns[0]!, max: ns[ns.length - 1]! };
}

const perScheme = <T>(f: (s: Scheme) => T) => Object.fromEntries(SCHEMES.map((s) => [s, f(s)])) as Record<Scheme, T>;

export async function runRoutingQuality(options: RoutingQualityOptions): Promise<RoutingQualityResult> {
  const { keys, repeats, workerCounts } = options;
  if (!(Number.isInteger(keys) && keys >= 100)) throw new RangeError('keys: expected an integer >= 100');
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new RangeError('repeats: expected an integer >= 1');
  if (!workerCounts.every((n) => Number.isInteger(n) && n >= 2)) throw new RangeError('workerCounts: expected integers >= 2');
  const sets = [
    uniformSet('uniform-ipv4', keys, SEED.ipv4, randomIPv4),
    uniformSet('uniform-ipv6', keys, SEED.ipv6, randomIPv6),
    natLikeSet(keys, SEED.nat),
  ];
  const ipv4 = sets[0]!.entries;
  const result: RoutingQualityResult = {
    options: { keys, repeats, workerCounts: [...workerCounts], ...(options.scale ? { scale: { workerCounts: [...options.scale.workerCounts], keySets: options.scale.keySets } } : {}) },
    node: process.version,
    keySets: sets.map((s) => ({ name: s.name, clients: s.clients, distinct: s.entries.length })),
    timed: TIMED,
    balance: [],
    remap: [],
    cost: [],
  };
  for (const n of workerCounts) {
    for (const [i, set] of sets.entries()) {
      result.balance.push({ keySet: set.name, workers: n, floor: floorOf(set, n, SEED.floor + n * 8 + i), maxOverMean: perScheme((s) => balanceOf(s, set, n)) });
    }
    // Remove the middle worker, not the last: jump-style schemes can only lose the last bucket cheaply.
    const ids = workerIds(n);
    const removed = ids[Math.floor((n - 1) / 2)]!;
    const added = `w${n}`;
    const without = ids.filter((id) => id !== removed);
    result.remap.push({
      workers: n,
      removed,
      added,
      ideal: { leave: 1 / n, join: 1 / (n + 1) },
      leave: perScheme((s) => moves(s, ipv4, ids, without)),
      join: perScheme((s) => moves(s, ipv4, ids, [...ids, added])),
    });
    await tick(); // let timers run between worker counts (a test's timeout, a progress line)
    result.cost.push({ workers: n, nsPerLookup: perScheme((s) => cost(s, ipv4, n, repeats)) });
  }
  const scale = options.scale ?? { workerCounts: [16, 64, 256, 1000], keySets: 5 };
  if (!(Number.isInteger(scale.keySets) && scale.keySets >= 1)) throw new RangeError('scale.keySets: expected an integer >= 1');
  if (!scale.workerCounts.every((n) => Number.isInteger(n) && n >= 2)) throw new RangeError('scale.workerCounts: expected integers >= 2');
  if (scale.workerCounts.length > 0) result.scale = await runScale(keys, scale.keySets, scale.workerCounts, repeats);
  if (sink === 0.5) process.stdout.write(''); // never true; reads the sink
  return result;
}

// ---- scale: what stays cheap at 1,000 workers ----
//
// sioroute: rendezvous over 2^20 buckets (src/routing/select-worker.ts). The candidates it was
// measured against, all written here from their descriptions: rendezvous per key (sioroute before,
// O(n) per lookup); a 65,536-bucket table holding each bucket's rendezvous winner, every worker
// scored at every bucket; Maglev (65,537 slots, workers in id order); jump hash over the workers in
// the order of their id hash; two levels, rendezvous over hosts of 8 workers (weighted by the host's
// total) and then over the host's workers.

export const SCALE_SCHEMES = ['sioroute', 'key-rendezvous', 'buckets-64k', 'maglev', 'jump', 'two-level'] as const;
export type ScaleScheme = (typeof SCALE_SCHEMES)[number];
/** Schemes with no notion of weight: their weight row reads n/a. */
const UNWEIGHTED: readonly ScaleScheme[] = ['maglev', 'jump'];

export interface ScaleRow {
  workers: number;
  floor: { median: number; p95: number };
  /** max/mean load, median over the key sets. */
  maxOverMean: Record<ScaleScheme, number>;
  ideal: { leave: number; join: number };
  leave: Record<ScaleScheme, Move>;
  join: Record<ScaleScheme, Move>;
  /** Keys per weight-2 worker over keys per weight-1 worker (half of each); null: no weights. */
  weightRatio: Record<ScaleScheme, number | null>;
  /** Keys answered differently by a table built from the worker list shuffled. */
  orderDisagreements: Record<ScaleScheme, number>;
  nsPerLookup: Record<ScaleScheme, Spread>;
  /** Building the table for n workers, ms. */
  buildMs: Record<ScaleScheme, Spread>;
  /** sioroute's updateRoutingTable from a complete table: one joins / the middle one leaves, ms. */
  updateMs: { join: Spread; leave: Spread };
  /** sioroute, ns per lookup over the first pass on a fresh table (buckets scored as they come, then built). */
  coldNsPerLookup: Spread;
  /** What the table holds once built (typed arrays; sioroute also needs 4 or 8 MiB of scratch while building). */
  bytes: Record<ScaleScheme, number>;
}
export interface ScaleResult {
  keys: number;
  keySets: number;
  repeats: number;
  rows: ScaleRow[];
}

interface Router {
  select(key: ClientKey): string | undefined;
}
interface Built<R extends Router = Router> {
  router: R;
  bytes: number;
}

/** Rendezvous per key, as sioroute's select-worker did before buckets: O(n) per lookup. */
function keyRendezvous(workers: readonly RoutableWorker[]) {
  const byWeight = new Map<number, { ids: string[]; hi: number[]; lo: number[] }>();
  for (const worker of workers) {
    const h = hashString(worker.id);
    const weight = worker.weight ?? 1;
    const cls = byWeight.get(weight) ?? { ids: [], hi: [], lo: [] };
    cls.ids.push(worker.id);
    cls.hi.push(h.hi);
    cls.lo.push(h.lo);
    byWeight.set(weight, cls);
  }
  const classes = [...byWeight].map(([weight, c]) => ({ weight, ids: c.ids, hi: Uint32Array.from(c.hi), lo: Uint32Array.from(c.lo) }));
  const single = classes.length === 1;
  const select = (key: ClientKey): string | undefined => {
    let bestId: string | undefined;
    let bestScore = -Infinity;
    for (const { weight, ids, hi, lo } of classes) {
      let bestHi = -1;
      let bestLo = -1;
      let bestAt = -1;
      for (let i = 0; i < hi.length; i++) {
        const whi = hi[i]!;
        let h1 = key.hash.hi ^ lo[i]!;
        let h2 = key.hash.lo ^ ((whi << 7) | (whi >>> 25));
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
      const score = single ? 0 : -weight / Math.log(unitFromHalves(bestHi, bestLo));
      if (bestId === undefined || score > bestScore) {
        bestScore = score;
        bestId = ids[bestAt];
      }
    }
    return bestId;
  };
  return { router: { select }, bytes: 8 * workers.length };
}

/** Each of 65,536 buckets holds its rendezvous winner, every worker scored at every bucket. */
function buckets64k(workers: readonly RoutableWorker[]) {
  const ids = workers.map((w) => w.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const rendezvous = keyRendezvous(workers).router;
  const owner = new Uint16Array(65536);
  for (let b = 0; b < 65536; b++) owner[b] = index.get(rendezvous.select({ text: '', id: b, hash: hashWords([b], 0x64b) })!)!;
  return { router: { select: (key: ClientKey) => ids[owner[key.hash.hi >>> 16]!] }, bytes: owner.byteLength };
}

/** Maglev: each worker fills the slots of its own permutation in turn, in id order, until all are taken. */
function maglev(workers: readonly RoutableWorker[]) {
  const M = 65537;
  const ids = workers.map((w) => w.id).sort();
  const offset = ids.map((id) => hashString(id, 0x3a91).hi % M);
  const skip = ids.map((id) => (hashString(id, 0x3a92).hi % (M - 1)) + 1);
  const next = new Array<number>(ids.length).fill(0);
  const entry = new Int32Array(M).fill(-1);
  for (let filled = 0; filled < M; ) {
    for (let i = 0; i < ids.length && filled < M; i++) {
      let c = (offset[i]! + next[i]! * skip[i]!) % M;
      while (entry[c] !== -1) c = (offset[i]! + ++next[i]! * skip[i]!) % M;
      entry[c] = i;
      next[i]!++;
      filled++;
    }
  }
  const slots = Uint16Array.from(entry);
  return { router: { select: (key: ClientKey) => ids[slots[key.hash.hi % M]!] }, bytes: slots.byteLength };
}

/** Jump consistent hash over the workers in the order of their id hash (stable whatever the list order). */
function jump(workers: readonly RoutableWorker[]) {
  const ids = workers.map((w) => ({ id: w.id, h: hashString(w.id, 0x1a3b).hi })).sort((a, b) => a.h - b.h).map((w) => w.id);
  const n = ids.length;
  const select = (key: ClientKey) => {
    let state = key.hash.hi ^ Math.imul(key.hash.lo, 0x9e3779b1);
    let b = -1;
    let j = 0;
    while (j < n) {
      b = j;
      state = (state + 0x6d2b79f5) | 0;
      j = Math.floor((b + 1) / ((fmix32(state) + 1) / 4294967296));
    }
    return ids[b];
  };
  return { router: { select }, bytes: 8 * n };
}

/**
 * Two levels: rendezvous over hosts (weight: the host's total), then over the host's workers.
 * Worker wI runs on host I mod hostCount: 8 per host, and a joiner lands on a host that has some.
 */
function twoLevel(workers: readonly RoutableWorker[], hostCount: number) {
  const hosts = new Map<string, RoutableWorker[]>();
  for (const w of workers) {
    const host = `h${Number(w.id.slice(1)) % hostCount}`;
    hosts.set(host, [...(hosts.get(host) ?? []), w]);
  }
  const top = keyRendezvous([...hosts].map(([id, ws]) => ({ id, weight: ws.reduce((a, w) => a + (w.weight ?? 1), 0) }))).router;
  const inner = new Map([...hosts].map(([id, ws]) => [id, keyRendezvous(ws).router]));
  return { router: { select: (key: ClientKey) => inner.get(top.select(key)!)!.select(key) }, bytes: 8 * workers.length + 8 * hosts.size };
}

function sioroute(workers: readonly RoutableWorker[]): Built<RoutingTable> {
  const table = createRoutingTable(workers);
  completeRoutingTable(table);
  return { router: table, bytes: BUCKETS * (workers.length < 0xffff ? 2 : 4) };
}

function buildScheme(scheme: ScaleScheme, workers: readonly RoutableWorker[], hostCount: number): Built {
  switch (scheme) {
    case 'sioroute': return sioroute(workers);
    case 'key-rendezvous': return keyRendezvous(workers);
    case 'buckets-64k': return buckets64k(workers);
    case 'maglev': return maglev(workers);
    case 'jump': return jump(workers);
    case 'two-level': return twoLevel(workers, hostCount);
  }
}

/** One timed pass over the keys; a loop of its own per scheme, so each call site stays monomorphic. */
function scalePass(scheme: ScaleScheme, built: Built, keys: ClientKey[]): () => number {
  const r = built.router;
  switch (scheme) {
    case 'sioroute': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
    case 'key-rendezvous': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
    case 'buckets-64k': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
    case 'maglev': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
    case 'jump': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
    case 'two-level': return () => { let acc = 0; for (let i = 0; i < keys.length; i++) acc += r.select(keys[i]!)!.length; return acc; };
  }
}

const perScale = <T>(f: (s: ScaleScheme) => T) => Object.fromEntries(SCALE_SCHEMES.map((s) => [s, f(s)])) as Record<ScaleScheme, T>;
const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const spreadOf = (values: number[]): Spread => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sortedAt(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]! };
};

function maxOverMeanOf(router: Router, keys: ClientKey[], ids: string[]): number {
  const index = new Map(ids.map((id, i) => [id, i]));
  const loads = new Float64Array(ids.length);
  for (const key of keys) loads[index.get(router.select(key)!)!]!++;
  return maxOverMean(loads, keys.length);
}

function movesOf(before: Router, after: Router, keys: ClientKey[], present: Set<string>): Move {
  let moved = 0;
  let collateral = 0;
  for (const key of keys) {
    const a = before.select(key)!;
    const b = after.select(key)!;
    if (a === b) continue;
    moved++;
    if (present.has(a) && present.has(b)) collateral++;
  }
  return { moved: moved / keys.length, collateral: collateral / keys.length };
}

async function scaleRow(n: number, sets: ClientKey[][], floor: ScaleRow['floor'], repeats: number): Promise<ScaleRow> {
  const keys = sets[0]!;
  const workers: RoutableWorker[] = Array.from({ length: n }, (_, i) => ({ id: `w${i}` }));
  const ids = workers.map((w) => w.id);
  const removed = ids[Math.floor((n - 1) / 2)]!;
  const without = workers.filter((w) => w.id !== removed);
  const joined = [...workers, { id: `w${n}` }];
  const weighted = workers.map((w, i) => ({ id: w.id, weight: i % 2 === 0 ? 1 : 2 }));
  const shuffled = [...workers].sort((a, b) => hashString(a.id, 0x5f).hi - hashString(b.id, 0x5f).hi);
  const hosts = Math.max(1, Math.round(n / 8));
  const build = (s: ScaleScheme, list: readonly RoutableWorker[]) => buildScheme(s, list, hosts);
  const tables = perScale((s) => build(s, workers));

  const maxOverMeans = perScale((s) => sortedAt(sets.map((set) => maxOverMeanOf(tables[s].router, set, ids)).sort((a, b) => a - b), 0.5));
  const present = new Set(without.map((w) => w.id));
  const leave = perScale((s) => movesOf(tables[s].router, build(s, without).router, keys, present));
  await tick();
  const join = perScale((s) => movesOf(tables[s].router, build(s, joined).router, keys, new Set(ids)));
  const weightRatio = perScale((s) => {
    if (UNWEIGHTED.includes(s)) return null;
    const router = build(s, weighted).router;
    let heavy = 0;
    let total = 0;
    for (const set of sets) for (const key of set) {
      total++;
      if (Number(router.select(key)!.slice(1)) % 2 === 1) heavy++;
    }
    return heavy / (total - heavy);
  });
  const orderDisagreements = perScale((s) => {
    const other = build(s, shuffled).router;
    return keys.filter((key) => other.select(key) !== tables[s].router.select(key)).length;
  });
  await tick();

  // Timings, interleaved: every repeat times each scheme once, so a noisy moment hits them all.
  const passes = perScale((s) => scalePass(s, tables[s], keys));
  for (const s of SCALE_SCHEMES) sink ^= passes[s](); // warm-up
  const ns = perScale((): number[] => []);
  const buildTimes = perScale((): number[] => []);
  const update = { join: [] as number[], leave: [] as number[] };
  const cold: number[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const s of SCALE_SCHEMES) {
      let start = process.hrtime.bigint();
      sink ^= passes[s]();
      ns[s].push(Number(process.hrtime.bigint() - start) / keys.length);
      start = process.hrtime.bigint();
      build(s, workers);
      buildTimes[s].push(msSince(start));
    }
    const complete = tables.sioroute.router as RoutingTable;
    let start = process.hrtime.bigint();
    updateRoutingTable(complete, joined);
    update.join.push(msSince(start));
    start = process.hrtime.bigint();
    updateRoutingTable(complete, without);
    update.leave.push(msSince(start));
    const fresh = createRoutingTable(workers);
    start = process.hrtime.bigint();
    for (const key of keys) sink ^= fresh.select(key)!.length;
    cold.push(Number(process.hrtime.bigint() - start) / keys.length);
    await tick();
  }
  return {
    workers: n,
    floor,
    maxOverMean: maxOverMeans,
    ideal: { leave: 1 / n, join: 1 / (n + 1) },
    leave,
    join,
    weightRatio,
    orderDisagreements,
    nsPerLookup: perScale((s) => spreadOf(ns[s])),
    buildMs: perScale((s) => spreadOf(buildTimes[s])),
    updateMs: { join: spreadOf(update.join), leave: spreadOf(update.leave) },
    coldNsPerLookup: spreadOf(cold),
    bytes: perScale((s) => tables[s].bytes),
  };
}

async function runScale(keys: number, keySets: number, workerCounts: number[], repeats: number): Promise<ScaleResult> {
  const sets = Array.from({ length: keySets }, (_, k) => uniformSet('uniform-ipv4', keys, SEED.ipv4 + 0x100 * (k + 1), randomIPv4));
  const rows: ScaleRow[] = [];
  for (const n of workerCounts) {
    const floor = floorOf(sets[0]!, n, SEED.floor + n);
    rows.push(await scaleRow(n, sets.map((set) => set.entries.map((e) => e.key)), { median: floor.median, p95: floor.p95 }, repeats));
  }
  return { keys, keySets, repeats, rows };
}

// ---- markdown ----

const TARGET = { balanceOverFloor: 0.01, lookupNs: 200, lookupWorkers: 16 };
const SET_LABEL: Record<KeySetName, string> = { 'uniform-ipv4': 'uniform IPv4', 'uniform-ipv6': 'uniform IPv6', 'nat-like': 'NAT-like' };
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const rule = (n: number) => row(Array.from({ length: n }, () => '---'));
const peers = SCHEMES.filter((s) => s !== 'sioroute');

const SCALE_TARGET = { lookupNs: 200, workers: 1000 };
const range = (x: Spread, digits = 0) => `${x.median.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`;
const bytesText = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${b} B`);

function scaleMarkdown(scale: ScaleResult): string[] {
  const head = (first: string[]) => [row([...first, ...SCALE_SCHEMES]), rule(first.length + SCALE_SCHEMES.length)];
  const withinFloor = (r: ScaleRow) => r.maxOverMean.sioroute / r.floor.median - 1 <= TARGET.balanceOverFloor;
  return [
    `Scale: what stays cheap at ${SCALE_TARGET.workers.toLocaleString('en')} workers. sioroute is rendezvous over ${BUCKETS.toLocaleString('en')} buckets (each key's bucket: the top bits of its hash; each worker draws once per bucket; a table of each bucket's winner). Against: rendezvous per key (sioroute before, O(n)); buckets-64k, each of 65,536 buckets holding its rendezvous winner, every worker scored at every bucket; Maglev (65,537 slots); jump hash over the workers ordered by id hash; two-level, rendezvous over hosts of 8 workers (weighted by the host's total) and then over the host's workers. Uniform IPv4 keys, ${scale.keys} distinct per set.`,
    '',
    `Lookup: ns per lookup, median (min–max) of ${scale.repeats} passes over ${scale.keys} keys after a warm-up pass, schemes interleaved. sioroute cold: the first pass on a fresh table, where each bucket is scored on first use and the whole table built once that has cost as much.`,
    '',
    ...head(['workers']).map((line, i) => (i === 0 ? line.replace('| sioroute |', `| sioroute (target ≤ ${SCALE_TARGET.lookupNs} ns at ${SCALE_TARGET.workers}) | sioroute cold |`) : `${line} --- |`)),
    ...scale.rows.map((r) => row([r.workers, `${range(r.nsPerLookup.sioroute)}${r.workers === SCALE_TARGET.workers ? ` ${mark(r.nsPerLookup.sioroute.median <= SCALE_TARGET.lookupNs)}` : ''}`, range(r.coldNsPerLookup), ...SCALE_SCHEMES.slice(1).map((s) => range(r.nsPerLookup[s]))])),
    '',
    `Balance: max/mean keys per worker, median over ${scale.keySets} key sets; random floor: median (p95) of ${FLOOR_TRIALS} seeded random assignments; in brackets, distance above the floor median.`,
    '',
    ...head(['workers', 'random floor']).map((line, i) => (i === 0 ? line.replace('| sioroute |', `| sioroute (target: within ${pct(TARGET.balanceOverFloor)}) |`) : line)),
    ...scale.rows.map((r) => row([r.workers, `${r.floor.median.toFixed(3)} (${r.floor.p95.toFixed(3)})`, ...SCALE_SCHEMES.map((s) => `${r.maxOverMean[s].toFixed(3)} (${signed(r.maxOverMean[s] / r.floor.median - 1)})${s === 'sioroute' ? ` ${mark(withinFloor(r))}` : ''}`)])),
    '',
    'Remap: keys moved when the middle worker leaves / when one joins (for two-level, onto a host that has workers); in brackets, collateral: moved between two workers present before and after.',
    '',
    ...head(['workers', 'ideal']).map((line, i) => (i === 0 ? line.replace('| sioroute |', '| sioroute (target: ideal, no collateral) |') : line)),
    ...scale.rows.map((r) => row([r.workers, `${pct(r.ideal.leave)} / ${pct(r.ideal.join)}`, ...SCALE_SCHEMES.map((s) => {
      const cell = `${pct(r.leave[s].moved)} (${pct(r.leave[s].collateral)}) / ${pct(r.join[s].moved)} (${pct(r.join[s].collateral)})`;
      return s === 'sioroute' ? `${cell} ${mark(r.leave[s].collateral === 0 && r.join[s].collateral === 0)}` : cell;
    })])),
    '',
    `Weights and agreement: keys per weight-2 worker over keys per weight-1 worker, half the workers of each (ideal 2.000), over the ${scale.keySets} key sets; then keys (of ${scale.keys}) answered differently by a table built from the same workers listed in another order.`,
    '',
    ...head(['workers']),
    ...scale.rows.map((r) => row([r.workers, ...SCALE_SCHEMES.map((s) => `${r.weightRatio[s] === null ? 'n/a' : r.weightRatio[s]!.toFixed(3)} / ${r.orderDisagreements[s]}`)])),
    '',
    `Build: ms to build the table for n workers, median (min–max) of ${scale.repeats}, and what the table holds once built (sioroute needs ${bytesText(BUCKETS * 4)} more while building, ${bytesText(BUCKETS * 8)} with several weights). sioroute also: updateRoutingTable from a built table when one joins / the middle one leaves (the leaver's buckets are then scored on first use).`,
    '',
    ...head(['workers']).map((line, i) => (i === 0 ? line.replace('| sioroute |', '| sioroute | sioroute update: join / leave |') : `${line} --- |`)),
    ...scale.rows.map((r) => row([r.workers, `${range(r.buildMs.sioroute, 1)}, ${bytesText(r.bytes.sioroute)}`, `${range(r.updateMs.join, 1)} / ${range(r.updateMs.leave, 1)}`, ...SCALE_SCHEMES.slice(1).map((s) => `${range(r.buildMs[s], 1)}, ${bytesText(r.bytes[s])}`)])),
  ];
}

export function routingQualityMarkdown(result: RoutingQualityResult): string {
  const sizes = result.keySets.map((k) => `${SET_LABEL[k.name]}: ${k.clients} clients on ${k.distinct} distinct keys`).join('; ');
  const balance = [
    `Balance: max/mean clients per worker (${sizes}). Floor: median (p95) of ${result.balance[0]?.floor.trials ?? 0} seeded random assignments of the same keys; in brackets, distance above the floor median. One key set is one sample: at 16 workers and more, or on the NAT-like set, a random assignment itself often lands over 1% above the median (compare the p95).`,
    '',
    row(['key set', 'workers', 'random floor', `sioroute (target: within ${pct(TARGET.balanceOverFloor)} of floor)`, ...peers]),
    rule(4 + peers.length),
    ...result.balance.map((b) => {
      const vs = (s: Scheme) => b.maxOverMean[s] / b.floor.median - 1;
      const cell = (s: Scheme) => `${b.maxOverMean[s].toFixed(3)} (${signed(vs(s))})`;
      return row([SET_LABEL[b.keySet], b.workers, `${b.floor.median.toFixed(3)} (${b.floor.p95.toFixed(3)})`, `${cell('sioroute')} ${mark(vs('sioroute') <= TARGET.balanceOverFloor)}`, ...peers.map(cell)]);
    }),
  ];
  const remap = [
    `Remap (uniform IPv4 set): keys moved when the middle worker leaves / when one joins; in brackets, collateral (moved between two workers present before and after).`,
    '',
    row(['workers', 'ideal', 'sioroute (target: ideal, no collateral)', ...peers]),
    rule(3 + peers.length),
    ...result.remap.map((r) => {
      const cell = (s: Scheme) => `${pct(r.leave[s].moved)} (${pct(r.leave[s].collateral)}) / ${pct(r.join[s].moved)} (${pct(r.join[s].collateral)})`;
      const ideal = r.leave.sioroute.collateral === 0 && r.join.sioroute.collateral === 0;
      return row([r.workers, `${pct(r.ideal.leave)} / ${pct(r.ideal.join)}`, `${cell('sioroute')} ${mark(ideal)}`, ...peers.map(cell)]);
    }),
  ];
  const cost = [
    `Cost (uniform IPv4 set, Node ${result.node}): ns per lookup, median (min–max) of ${result.options.repeats} timed passes after a warm-up pass. Timed: ${SCHEMES.map((s) => `${s}: ${result.timed[s]}`).join('; ')}.`,
    '',
    row(['workers', `sioroute (target: < ${TARGET.lookupNs} ns at ${TARGET.lookupWorkers} workers)`, ...peers]),
    rule(2 + peers.length),
    ...result.cost.map((c) => {
      const cell = (s: Scheme) => `${c.nsPerLookup[s].median.toFixed(0)} (${c.nsPerLookup[s].min.toFixed(0)}–${c.nsPerLookup[s].max.toFixed(0)})`;
      const target = c.workers === TARGET.lookupWorkers ? ` ${mark(c.nsPerLookup.sioroute.median < TARGET.lookupNs)}` : '';
      return row([c.workers, `${cell('sioroute')}${target}`, ...peers.map(cell)]);
    }),
  ];
  return [...balance, '', ...remap, '', ...cost, ...(result.scale ? ['', ...scaleMarkdown(result.scale)] : [])].join('\n');
}

// Run as a script (full size by default); importing the module runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '100000' },
      repeats: { type: 'string', default: '5' },
      workers: { type: 'string', default: '2,4,8,16,64' },
      'scale-workers': { type: 'string', default: '16,64,256,1000' },
      'scale-sets': { type: 'string', default: '5' },
      /** Also write the result as JSON (what bench/report.json holds under routing.result). */
      json: { type: 'string' },
    },
  });
  const started = Date.now();
  const list = (text: string) => (text === '' ? [] : text.split(',').map(Number));
  const result = await runRoutingQuality({
    keys: Number(values.keys),
    repeats: Number(values.repeats),
    workerCounts: list(values.workers!),
    scale: { workerCounts: list(values['scale-workers']!), keySets: Number(values['scale-sets']) },
  });
  const seconds = (Date.now() - started) / 1000;
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ result, seconds }, null, 2)}\n`);
  process.stdout.write(`${routingQualityMarkdown(result)}\n\n(${seconds.toFixed(1)} s)\n`);
}
