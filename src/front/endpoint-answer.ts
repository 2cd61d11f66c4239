// The answer for one client: which worker, at which address, with which token. No I/O: membership,
// secret and clock are inputs. Tokens and addresses are memoized, because they do not depend on
// the client: a token names a worker and an expiry (rounded up to the whole second, so all
// clients sent to one worker within a second share it), an address a worker and the host the
// browser used. That keeps HMAC and URL parsing off the per-request path.
import type { WsEndpoint } from '../protocol/wire.js';
import type { Membership } from '../registry/membership.js';
import type { ClientKey } from '../routing/client-key.js';
import { signToken } from '../routing/token.js';
import { workerAddress, type WorkerAddress } from '../routing/worker-address.js';

export interface EndpointResolverOptions {
  readonly membership: Membership;
  readonly secret: string;
  readonly tokenTtlSeconds: number;
  readonly workerPublicUrl: string;
}

export interface EndpointRequest {
  readonly key: ClientKey;
  /** Workers the client just failed to reach (at most AVOID_MAX). */
  readonly avoid: readonly string[] | undefined;
  /** Epoch milliseconds. */
  readonly now: number;
  /** How the client reached the front: used for {hostname} and {protocol}. */
  readonly hostname: string;
  readonly protocol: string;
}

/** Hosts are chosen by clients: the address memo is bounded. */
const ADDRESS_MEMO_MAX = 1024;

export function createEndpointResolver(options: EndpointResolverOptions): (request: EndpointRequest) => WsEndpoint | undefined {
  const { membership } = options;
  const tokens = new Map<string, { expiresAt: number; token: string }>();
  const addresses = new Map<string, WorkerAddress>();
  membership.onChange(() => addresses.clear());

  const tokenFor = (workerId: string, expiresAt: number): string => {
    const memo = tokens.get(workerId);
    if (memo?.expiresAt === expiresAt) return memo.token;
    const token = signToken({ workerId, expiresAt }, options.secret);
    tokens.set(workerId, { expiresAt, token });
    return token;
  };

  return (request) => {
    const workerId = membership.routingTable().select(request.key, request.avoid);
    if (workerId === undefined) return undefined;
    const worker = membership.get(workerId)!;
    const expiresAt = Math.ceil((request.now + options.tokenTtlSeconds * 1000) / 1000) * 1000;
    // Cleared on every membership change, so a worker's id names one index, port and template here.
    const addressKey = `${request.protocol}|${request.hostname}|${worker.id}`;
    let address = addresses.get(addressKey);
    if (address === undefined) {
      address = workerAddress(worker.publicUrl ?? options.workerPublicUrl, { id: worker.id, index: worker.index, port: worker.port, hostname: request.hostname, protocol: request.protocol });
      if (addresses.size >= ADDRESS_MEMO_MAX) addresses.clear();
      addresses.set(addressKey, address);
    }
    return { workerId, url: address.url, path: address.path, token: tokenFor(workerId, expiresAt), expiresAt };
  };
}
