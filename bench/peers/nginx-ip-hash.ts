// nginx's `ip_hash` upstream choice (ngx_http_upstream_ip_hash_module), written from its published
// formula, as a peer for the routing-quality benchmark. Two traits matter for comparison:
// - IPv4 hashes only the first three octets, so every client of one /24 (one office, one carrier NAT
//   pool) lands on one upstream;
// - the hash has only 6271 values and picks `hash % n`, so removing an upstream from the list
//   reshuffles almost everyone (nginx avoids that only when the upstream is marked `down`).
// nginx's retry on down or failed peers is left out: every upstream here is up and has weight 1, where
// nginx's weighted walk reduces to `hash % n`.
import { parseIPv4, parseIPv6 } from '../../src/routing/client-key.js';

/**
 * The bytes nginx hashes for a client address, as its socket gives them: the first 3 bytes of an
 * IPv4 address, all 16 bytes of an IPv6 one (an IPv4-mapped address arrives on an IPv6 socket and is
 * hashed as 16 bytes too). Undefined when the text is not an IP address.
 */
export function ipHashBytes(address: string): Uint8Array | undefined {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff);
  const groups = parseIPv6(address);
  if (groups === undefined) return undefined;
  return Uint8Array.from(groups.flatMap((g) => [g >>> 8, g & 0xff]));
}

/** nginx's hash: start at 89, then `hash = (hash * 113 + byte) % 6271` for each byte. */
export function ipHash(bytes: ArrayLike<number>): number {
  let hash = 89;
  for (let i = 0; i < bytes.length; i++) hash = (hash * 113 + bytes[i]!) % 6271;
  return hash;
}

export interface NginxIpHash {
  readonly upstreams: readonly string[];
  /** The upstream for these address bytes (from `ipHashBytes`), or undefined when there is none. */
  select(bytes: ArrayLike<number>): string | undefined;
}

export function createNginxIpHash(upstreams: readonly string[]): NginxIpHash {
  const list = [...upstreams];
  return {
    upstreams: list,
    select: (bytes) => (list.length === 0 ? undefined : list[ipHash(bytes) % list.length]),
  };
}
