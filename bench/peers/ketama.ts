// Ketama consistent hashing as libketama does it, as a peer for the routing-quality benchmark:
// 160 points per server (equal weights), from 40 MD5 digests of "<server>-<i>", each digest giving
// four little-endian 32-bit points; a key hashes to the first 4 bytes of its MD5, little-endian, and
// goes to the first point at or after it on the sorted ring, wrapping to the first point.
// Only the lost server's keys move when one leaves, but 160 points per server leave arcs of uneven
// length, so the busiest server sits well above the random floor.
import { createHash } from 'node:crypto';

function md5(text: string): Buffer {
  return createHash('md5').update(text).digest();
}

/** libketama's key hash: the first 4 bytes of MD5(key), read little-endian. */
export function ketamaHash(key: string): number {
  return md5(key).readUInt32LE(0);
}

export interface KetamaRing {
  readonly servers: readonly string[];
  /** The server owning this point (from `ketamaHash`), or undefined when the ring is empty. */
  select(point: number): string | undefined;
}

export function createKetamaRing(servers: readonly string[], pointsPerServer = 160): KetamaRing {
  const list = [...servers];
  const entries: { point: number; server: number }[] = [];
  list.forEach((server, index) => {
    for (let i = 0; i < pointsPerServer / 4; i++) {
      const digest = md5(`${server}-${i}`);
      for (let h = 0; h < 4; h++) entries.push({ point: digest.readUInt32LE(h * 4), server: index });
    }
  });
  // Ties between servers are astronomically rare; break them by list index so the ring is deterministic.
  entries.sort((a, b) => a.point - b.point || a.server - b.server);
  const points = Uint32Array.from(entries, (e) => e.point);
  const owners = Uint32Array.from(entries, (e) => e.server);

  function select(point: number): string | undefined {
    if (points.length === 0) return undefined;
    // Lower bound: the first ring point >= the key's point (libketama's search finds the same one).
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < point) low = mid + 1;
      else high = mid;
    }
    return list[owners[low === points.length ? 0 : low]!];
  }

  return { servers: list, select };
}
