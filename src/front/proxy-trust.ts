// Which peers' X-Forwarded-* headers the front believes (TRUST_PROXY), as the function fastify's
// `trustProxy` option takes. proxy-addr's compiled check parses the address with ipaddr.js on every
// call, and fastify calls it for the proxy hop of every request (for request.ip, and again for
// X-Forwarded-Host/-Proto): about 4% of GET /ws-endpoint's CPU in bench/front-throughput.ts. The
// answer for an address never changes, and behind a proxy the same few peer addresses come back on
// every request, so answers are remembered.
import proxyAddr from '@fastify/proxy-addr';

/** Addresses remembered at most. Hops past the first are written by clients: the memo is bounded. */
export const PROXY_TRUST_MEMO_MAX = 4096;

export type ProxyTrust = (address: string, hop: number) => boolean;

/** A trust function for addresses, CIDRs and proxy-addr's range names (as TRUST_PROXY validates them). */
export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const check = proxyAddr.compile([...entries]);
  const memo = new Map<string, boolean>();
  return (address, hop) => {
    let trusted = memo.get(address);
    if (trusted === undefined) {
      // The compiled check ignores the hop number: one answer per address.
      trusted = check(address, hop);
      if (memo.size >= PROXY_TRUST_MEMO_MAX) memo.clear();
      memo.set(address, trusted);
    }
    return trusted;
  };
}
