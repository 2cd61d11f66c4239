// Who may read /metrics: the TCP peer address (never X-Forwarded-For, which the peer writes) checked
// against METRICS_FROM. /metrics is on public ports and tells how busy each worker is.
import { HTTP_ERRORS } from '../protocol/http-errors.js';
import proxyAddr from '@fastify/proxy-addr';

export const METRICS_FORBIDDEN_MESSAGE = HTTP_ERRORS.METRICS_FORBIDDEN.message;

/**
 * A check of peer addresses against addresses, CIDRs and range names (as validated by the
 * METRICS_FROM parser): proxy-addr's matcher, the one TRUST_PROXY uses, so both settings read
 * alike. IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`, seen on dual-stack binds) match their IPv4
 * ranges; anything that is not an IP address matches nothing.
 */
export function createScrapeAccess(entries: readonly string[]): (peer: string | undefined) => boolean {
  const matches = proxyAddr.compile([...entries]);
  return (peer) => peer !== undefined && matches(peer, 0);
}
