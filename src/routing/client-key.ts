// Client address -> routing key. Pure: no I/O.
// One client is one key: `::ffff:1.2.3.4` and `1.2.3.4` are the same client, and an IPv6 client that
// rotates its interface id inside its /64 stays on one worker. Prefix lengths are configurable.
import { isIPv6 } from 'node:net';
import { hashWords, type Hash64 } from './hash64.js';

export interface ClientKeyOptions {
  /** Bits of an IPv4 address that make the key. @default 32 */
  ipv4Prefix: number;
  /** Bits of an IPv6 address that make the key. @default 64 */
  ipv6Prefix: number;
}

export const DEFAULT_CLIENT_KEY_OPTIONS: ClientKeyOptions = Object.freeze({ ipv4Prefix: 32, ipv6Prefix: 64 });

export interface ClientKey {
  /** Canonical text of the masked address with its prefix, e.g. `203.0.113.7/32`, `2001:db8:0:1::/64`. */
  readonly text: string;
  /**
   * The key as a Map key, cheaper than its text: the masked IPv4 address as a number, the text for
   * IPv6. Equal for equal keys under one ClientKeyOptions (the prefix is part of the options).
   */
  readonly id: number | string;
  /** 64-bit hash of the masked address; what worker selection scores. */
  readonly hash: Hash64;
}

// IPv4 and IPv6 keys hash with different seeds so that 0.0.0.1 and ::1 never collide by construction.
const IPV4_SEED = 0x4;
const IPV6_SEED = 0x6;

const DOT = 0x2e;
const ZERO = 0x30;

/**
 * Parse an IPv4 dotted quad into a uint32, or undefined. Accepts what net.isIPv4 accepts (decimal
 * octets up to 255, no leading zeros); by hand, because it runs for every request to the front.
 */
export function parseIPv4(address: string): number | undefined {
  const length = address.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = address.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    const d = c - ZERO;
    if (d < 0 || d > 9 || (digits === 1 && octet === 0)) return undefined;
    octet = octet * 10 + d;
    if (++digits > 3 || octet > 255) return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

/** Parse an IPv6 address (with `::`, an embedded IPv4 tail or a `%zone`) into 8 16-bit groups, or undefined. */
export function parseIPv6(address: string): number[] | undefined {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (!isIPv6(bare)) return undefined;
  let text = bare;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes its two hex groups (`::ffff:102:304`).
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':').map((g) => parseInt(g, 16)) : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':').map((g) => parseInt(g, 16)) : [];
  const explicit = head.length + rest.length;
  const zeros = halves.length > 1 ? 8 - explicit : 0;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function maskV4(value: number, prefix: number): number {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return value >>> 0;
  return (value & (~0 << (32 - prefix))) >>> 0;
}

function groupsToWords(groups: number[]): number[] {
  return [0, 2, 4, 6].map((i) => ((groups[i]! << 16) | groups[i + 1]!) >>> 0);
}

function maskWords(words: number[], prefix: number): number[] {
  return words.map((w, i) => maskV4(w, Math.max(0, Math.min(32, prefix - i * 32))));
}

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function v6Text(words: number[]): string {
  const groups = words.flatMap((w) => [w >>> 16, w & 0xffff]);
  // Compress the longest run of zero groups (RFC 5952), for readable keys.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The routing key of a client address, or undefined when the text is not an IP address.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is treated as IPv4.
 */
export function clientKey(address: string, options: ClientKeyOptions = DEFAULT_CLIENT_KEY_OPTIONS): ClientKey | undefined {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return v4Key(v4, options.ipv4Prefix);
  const groups = parseIPv6(address);
  if (groups === undefined) return undefined;
  const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (isMapped) return v4Key(((groups[6]! << 16) | groups[7]!) >>> 0, options.ipv4Prefix);
  const words = maskWords(groupsToWords(groups), options.ipv6Prefix);
  const text = `${v6Text(words)}/${options.ipv6Prefix}`;
  return { text, id: text, hash: hashWords(words, IPV6_SEED) };
}

/** Its text is written only when read: the front's hot path needs the hash and the id. */
class IPv4Key implements ClientKey {
  readonly hash: Hash64;
  constructor(readonly id: number, private readonly prefix: number) {
    this.hash = hashWords([id], IPV4_SEED);
  }
  get text(): string {
    return `${v4Text(this.id)}/${this.prefix}`;
  }
}

function v4Key(value: number, prefix: number): ClientKey {
  return new IPv4Key(maskV4(value, prefix), prefix);
}
