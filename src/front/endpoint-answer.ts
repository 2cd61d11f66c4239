// The answer for one client: which worker, at which address, with which token. Pure: membership,
// secret and clock are inputs.
import type { WsEndpoint } from '../client/protocol.js';
import type { Membership } from '../registry/membership.js';
import type { ClientKey } from '../routing/client-key.js';
import { signToken } from '../routing/token.js';
import { workerAddress } from '../routing/worker-address.js';

export interface EndpointInputs {
  readonly membership: Membership;
  readonly key: ClientKey;
  readonly avoid: string | undefined;
  readonly secret: string;
  readonly now: number;
  readonly tokenTtlSeconds: number;
  readonly workerPublicUrl: string;
  /** How the client reached the front: used for {hostname} and {protocol}. */
  readonly hostname: string;
  readonly protocol: string;
}

/** The endpoint for this client, or undefined when no worker is live. */
export function endpointFor(inputs: EndpointInputs): WsEndpoint | undefined {
  const workerId = inputs.membership.routingTable().select(inputs.key, inputs.avoid);
  if (workerId === undefined) return undefined;
  const worker = inputs.membership.get(workerId)!;
  const expiresAt = inputs.now + inputs.tokenTtlSeconds * 1000;
  const address = workerAddress(inputs.workerPublicUrl, {
    id: worker.id,
    index: worker.index,
    port: worker.port,
    hostname: inputs.hostname,
    protocol: inputs.protocol,
  });
  return { workerId, url: address.url, path: address.path, token: signToken({ workerId, expiresAt }, inputs.secret), expiresAt };
}
