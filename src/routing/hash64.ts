// A fast, well-mixed 64-bit hash built from 32-bit integer operations (Math.imul), returned as
// two uint32 halves. Weak string hashes (FNV-1a then `% n`) can end up depending on the parity of a
// few bytes; every input word here goes through murmur3-style multiply-rotate mixing in two lanes,
// and the lanes are cross-mixed with fmix32 at the end, so every output bit depends on every input bit.

/** A 64-bit hash as two unsigned 32-bit halves. */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** murmur3's 32-bit finalizer: full avalanche of one 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a sequence of 32-bit words (the caller fixes the length, e.g. 1 word for IPv4, 4 for IPv6). */
export function hashWords(words: ArrayLike<number>, seed = 0): Hash64 {
  let h1 = seed ^ 0x9e3779b9;
  let h2 = seed ^ 0x7f4a7c15;
  for (let i = 0; i < words.length; i++) {
    let k = Math.imul(words[i]! | 0, C1);
    k = rotl32(k, 15);
    k = Math.imul(k, C2);
    h1 ^= k;
    h1 = Math.imul(rotl32(h1, 13), 5) + 0xe6546b64;
    let j = Math.imul(words[i]! ^ 0x5bd1e995, C4);
    j = rotl32(j, 17);
    j = Math.imul(j, C3);
    h2 ^= j;
    h2 = Math.imul(rotl32(h2, 19), 5) + 0x561ccd1b;
  }
  return finish(h1 ^ words.length, h2 ^ words.length);
}

/** Hash a string by its UTF-16 code units (worker ids are short ASCII strings). */
export function hashString(text: string, seed = 0): Hash64 {
  const words = new Uint32Array(Math.ceil(text.length / 2));
  for (let i = 0; i < text.length; i++) {
    words[i >> 1]! |= text.charCodeAt(i) << ((i & 1) * 16);
  }
  // Mix the length in as well so "a" and "a\0" differ.
  const h = hashWords(words, seed ^ text.length);
  return h;
}

function finish(h1: number, h2: number): Hash64 {
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  return { hi: h1 >>> 0, lo: h2 >>> 0 };
}

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

/** Map a 64-bit hash to a float strictly inside (0, 1), using its top 53 bits. */
export function toUnitInterval(h: Hash64): number {
  return (h.hi * TWO_POW_21 + (h.lo >>> 11) + 0.5) / TWO_POW_53;
}

/** The same mapping from two uint32 halves (hi, lo). */
export function unitFromHalves(hi: number, lo: number): number {
  return (hi * TWO_POW_21 + (lo >>> 11) + 0.5) / TWO_POW_53;
}
