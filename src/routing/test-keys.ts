// Deterministic key sets for routing tests and benchmarks (seeded, so a failure reproduces).
import { clientKey, type ClientKey } from './client-key.js';
import { createRoutingTable } from './select-worker.js';

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomIPv4(random: () => number): string {
  const n = Math.floor(random() * 2 ** 32);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function randomIPv6(random: () => number): string {
  return Array.from({ length: 8 }, () => Math.floor(random() * 0x10000).toString(16)).join(':');
}

/** `count` distinct keys built from addresses that `make` draws. */
export function distinctKeys(count: number, make: () => string): ClientKey[] {
  const seen = new Map<string, ClientKey>();
  // Bounded: a generator that repeats itself fails loudly instead of looping for ever.
  for (let tries = 0; seen.size < count; tries++) {
    if (tries > count * 20) throw new Error(`only ${seen.size} distinct keys after ${tries} tries`);
    const key = clientKey(make());
    if (key && !seen.has(key.text)) seen.set(key.text, key);
  }
  return [...seen.values()];
}

/**
 * The worker the pure routing table picks for an address among equally weighted ids, with the
 * default key options: what a test expects a real cluster to answer.
 */
export function pureRoute(ids: readonly string[], address: string): string {
  return createRoutingTable(ids.map((id) => ({ id }))).select(clientKey(address)!)!;
}
