// Who may read /metrics: the TCP peer address (never X-Forwarded-For, which the peer writes) checked
// against METRICS_FROM. /metrics is on public ports and tells how busy each worker is.
import { BlockList, isIP } from 'node:net';

/** The ranges the names in METRICS_FROM stand for (the same as proxy-addr's, used by TRUST_PROXY). */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

export const METRICS_FORBIDDEN_MESSAGE = 'this address may not read /metrics (see METRICS_FROM)';

/**
 * A check of peer addresses against addresses, CIDRs and range names (as validated by the
 * METRICS_FROM parser). IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`, seen on dual-stack binds)
 * match their IPv4 ranges.
 */
export function createScrapeAccess(entries: readonly string[]): (peer: string | undefined) => boolean {
  const allowed = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED_RANGES[e] ?? [e])) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) allowed.addAddress(address, type);
    else allowed.addSubnet(address, Number(prefix), type);
  }
  return (peer) => {
    if (peer === undefined) return false;
    const family = isIP(peer);
    return family !== 0 && allowed.check(peer, family === 6 ? 'ipv6' : 'ipv4');
  };
}
