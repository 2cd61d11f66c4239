// sioroute/client in Node as one simulated browser: the shipped RoutedSocket (its resolve, its
// socket.io-client options, its default transports), with every request and socket from the
// client's own loopback address. The resolve goes over the HTTP connection a browser would use: a
// fresh one (the first request to the front's origin, as a single-page app served elsewhere makes
// it) or one already open (keep-alive: the browser loaded something from the front before).
import { Agent, request } from 'node:http';
import { connect, type RoutedSocket } from '../src/client/index.js';
import type { FetchLike } from '../src/client/resolve-endpoint.js';
import type { WsEndpoint } from '../src/protocol/wire.js';
import { NoResendAgent } from '../src/testing/clients.js';

/** The connection the resolve travels on: a new one, or one opened earlier and kept alive. */
export type FrontConnection = 'fresh' | 'kept-alive';

/** A fetch for RoutedSocket over node:http through the given agent (Node's own fetch cannot bind a source address). */
export function fetchThrough(agent: Agent): FetchLike {
  return (input, init) =>
    new Promise((resolve, reject) => {
      const req = request(input, { method: 'GET', agent, headers: init.headers as Record<string, string>, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
}

/** GET a path of the front through the agent: the page (for its embedded endpoint), or a probe that opens the connection. */
export function getText(agent: Agent, url: string): Promise<string> {
  return fetchThrough(agent)(url, { headers: {} }).then(async (res) => {
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    return res.text();
  });
}

const EMBEDDED = /<script id="ws-endpoint" type="application\/json">([^<]*)<\/script>/;

/** The endpoint the front rendered into its page for this client. */
export async function pageEndpoint(agent: Agent, frontUrl: string): Promise<WsEndpoint> {
  const match = EMBEDDED.exec(await getText(agent, `${frontUrl}/`));
  if (!match) throw new Error('the page has no embedded endpoint');
  return JSON.parse(match[1]!) as WsEndpoint;
}

/** The agent for a client's requests to the front. */
export function frontAgent(localAddress: string, connection: FrontConnection): Agent {
  return new Agent({ keepAlive: connection === 'kept-alive', maxSockets: 1, localAddress });
}

/**
 * Open sioroute/client's RoutedSocket from this address; resolves once connected, rejects on the
 * first connect error (the routed socket would retry; a benchmark counts it as a failure).
 */
export function openRouted(options: {
  frontUrl: string;
  localAddress: string;
  agent: Agent;
  /** The endpoint from the page: no GET /ws-endpoint. */
  initialEndpoint?: WsEndpoint;
  /** undefined: the client's default. */
  transports?: string[];
}): Promise<RoutedSocket> {
  const socketAgent = new NoResendAgent({ keepAlive: true, localAddress: options.localAddress });
  const socket = connect({
    endpointUrl: `${options.frontUrl}/ws-endpoint`,
    fetch: fetchThrough(options.agent),
    ...(options.initialEndpoint ? { initialEndpoint: options.initialEndpoint } : {}),
    ...(options.transports ? { transports: options.transports } : {}),
    // engine.io-client hands these to its HTTP requests (agent) and to ws (localAddress).
    socketOptions: { agent: socketAgent as unknown as string, localAddress: options.localAddress } as object,
  });
  socket.on('sioroute:state', (state) => {
    if (state === 'closed') setTimeout(() => socketAgent.destroy(), 1000).unref();
  });
  return new Promise((resolve, reject) => {
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', (error) => {
      socket.close();
      reject(new Error(`${error.code}: ${error.message}`));
    });
  });
}
