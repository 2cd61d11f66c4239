// The rows of the connection-setup benchmark: sioroute's client with each lever on its own and
// combined, and the peers with socket.io-client's default transports, as their users have them.
import type { FrontConnection } from './routed-client.js';
import type { SystemName } from './peers/servers.js';

/** Where a sioroute client gets its endpoint: GET /ws-endpoint (a single-page app), or the page it loaded. */
export type EndpointPath = 'spa' | 'page';
/** `default`: sioroute/client's own (WebSocket first, polling fallback); `polling-first`: socket.io's default, the client's before. */
export type ClientTransports = 'default' | 'polling-first';

export interface ConnectRow {
  readonly system: SystemName;
  readonly label: string;
  /** What the row does, for the report's prose. */
  readonly does: string;
  /** sioroute rows only. */
  readonly path?: EndpointPath;
  readonly transports?: ClientTransports;
  readonly front?: FrontConnection;
}

export const CONNECT_ROWS = {
  'spa-polling-first': {
    system: 'sioroute', path: 'spa', transports: 'polling-first', front: 'fresh',
    label: 'sioroute SPA, polling first (before)',
    does: 'sioroute/client with `transports: [\'polling\', \'websocket\']` (its default until now): GET /ws-endpoint on a new connection to the front, then a polling handshake, the namespace connect over polling, and the upgrade',
  },
  'spa-ws-first': {
    system: 'sioroute', path: 'spa', transports: 'default', front: 'fresh',
    label: 'sioroute SPA, WebSocket first',
    does: 'the WebSocket-first lever alone: sioroute/client with its default options (WebSocket, polling as fallback), GET /ws-endpoint on a new connection',
  },
  'spa-polling-kept-alive': {
    system: 'sioroute', path: 'spa', transports: 'polling-first', front: 'kept-alive',
    label: 'sioroute SPA, polling first, front kept alive',
    does: 'the keep-alive lever alone: as the first row, but the resolve reuses a connection to the front that is already open (opened before the clock by a GET /livez, as a browser has one after loading anything from the front)',
  },
  'page-polling-first': {
    system: 'sioroute', path: 'page', transports: 'polling-first',
    label: 'sioroute page-embedded, polling first',
    does: 'the page-embedded lever alone: each client GETs the front\'s page before the clock (the page the browser loads anyway) and connects with the endpoint rendered into it, no /ws-endpoint request; polling first',
  },
  'spa-ws-first-kept-alive': {
    system: 'sioroute', path: 'spa', transports: 'default', front: 'kept-alive',
    label: 'sioroute SPA, WebSocket first, front kept alive',
    does: 'WebSocket first and keep-alive together: the single-page app once it has talked to the front',
  },
  'page-ws-first': {
    system: 'sioroute', path: 'page', transports: 'default',
    label: 'sioroute page-embedded, WebSocket first',
    does: 'the page-embedded path with the client\'s default options: what the demo page and any page rendered by the front do now',
  },
  nginx: {
    system: 'nginx',
    label: 'nginx ip_hash (2 upstreams)',
    does: 'socket.io-client with default options (polling handshake, then upgrade) through nginx ip_hash to 2 plain socket.io processes',
  },
  bare: {
    system: 'bare',
    label: 'bare socket.io (1 process)',
    does: 'socket.io-client with default options straight to one plain socket.io process (no resolve, no token)',
  },
  sticky: {
    system: 'sticky',
    label: '@socket.io/sticky (2 workers)',
    does: 'socket.io-client with default options through @socket.io/sticky\'s primary to 2 cluster workers',
  },
} as const satisfies Record<string, ConnectRow>;

export type RowName = keyof typeof CONNECT_ROWS;
/** sioroute's client as it was before these levers: the row each lever's gain is taken against. */
export const BEFORE: RowName = 'spa-polling-first';
export const ALL_ROWS = Object.keys(CONNECT_ROWS) as RowName[];
/** Every row but sticky's (its connect rate is in the single-port section). */
export const DEFAULT_ROWS: readonly RowName[] = ALL_ROWS.filter((r) => r !== 'sticky');
/** The peers every sioroute row is compared with, and the ratio each should reach (a target of the project). */
export const TARGETS: readonly { readonly peer: RowName; readonly atLeast: number }[] = [
  { peer: 'nginx', atLeast: 1.2 },
  { peer: 'bare', atLeast: 0.9 },
];

/** A row's definition, typed as the common shape. */
export const rowOf = (name: RowName): ConnectRow => CONNECT_ROWS[name];
/** sioroute's own rows (its client), as against the peers' rows. */
export const isOurs = (name: RowName): boolean => rowOf(name).path !== undefined;

export function parseRows(names: readonly string[] | undefined): RowName[] {
  if (!names) return [...DEFAULT_ROWS];
  for (const name of names) if (!(name in CONNECT_ROWS)) throw new Error(`unknown row "${name}": expected one of ${ALL_ROWS.join(', ')}`);
  return names as RowName[];
}

/** The servers the rows need, each started once. */
export function systemsOf(rows: readonly RowName[]): SystemName[] {
  return [...new Set(rows.map((r) => CONNECT_ROWS[r].system))];
}
