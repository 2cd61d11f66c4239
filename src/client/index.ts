// `sioroute/client`: the browser and Node client. Resolve a worker through the front, connect to
// it directly with socket.io-client, and move on any loss. Bundlers resolve it like any package.
import { RoutedSocket, type RoutedSocketOptions } from './routed-socket.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/wire.js';

export { RoutedSocket } from './routed-socket.js';
export type { AckValue, EmitArgs, PassThroughOptions, RoutedSocketEvents, RoutedSocketInfo, RoutedSocketOptions, RoutedSocketState } from './routed-socket.js';
export { isWsEndpoint, parseRetryAfter, type RoutedSocketError } from './resolve-endpoint.js';
export * from '../protocol/wire.js';

// An index signature of `any` is what lets plain interfaces satisfy it.
type EventsMap = { [event: string]: any };

/** A routed socket; `connect({ endpointUrl: 'https://front.example.com/ws-endpoint' })`. */
export function connect<L extends EventsMap = ServerToClientEvents, E extends EventsMap = ClientToServerEvents>(options: RoutedSocketOptions = {}): RoutedSocket<L, E> {
  return new RoutedSocket<L, E>(options);
}
