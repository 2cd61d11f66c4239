// sioroute/client in Node, as an application uses it: its own auth and query pass through, a
// namespace, autoConnect: false, plain emit (sent once) beside emitWithAck, the id and lifecycle
// events with off, and a front that cannot be reached ends in `failed` without spinning.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type RoutedSocket, type RoutedSocketState } from '../client/index.js';
import { startExistingWorker, startPluginFront, type ExistingWorker } from './existing-app.js';

type AnyEvents = Record<string, (...args: any[]) => void>;

function opened(socket: RoutedSocket<AnyEvents, AnyEvents>): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('connect', resolve);
    socket.on('connect_error', (error) => reject(new Error(`${error.code}: ${error.message}`)));
  });
}

describe('sioroute/client against an existing app', () => {
  const workers: ExistingWorker[] = [];
  let front: Awaited<ReturnType<typeof startPluginFront>>;
  before(async () => {
    workers.push(await startExistingWorker('cw0'), await startExistingWorker('cw1'));
    front = await startPluginFront(workers.map((w) => w.url));
  });
  after(async () => {
    await front?.close();
    await Promise.all(workers.map((w) => w.close()));
  });

  test('auth and query pass through beside the token; id, connected and lifecycle events; autoConnect: false waits for connect()', async () => {
    const socket = connect<AnyEvents, AnyEvents>({ endpointUrl: `${front.url}/ws-endpoint`, autoConnect: false, auth: { user: 'cy' }, socketOptions: { query: { room: 'r9' } } });
    const states: RoutedSocketState[] = [];
    // Told of every change of state or info (an upgrade too): the states, each once in a row.
    socket.on('sioroute:state', (state) => {
      if (states.at(-1) !== state) states.push(state);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(socket.state, 'idle', 'nothing happens before connect()');
    assert.equal(socket.id, undefined);
    socket.connect();
    await opened(socket);
    assert.equal(socket.connected, true);
    assert.match(socket.id ?? '', /^[A-Za-z0-9_-]{20}$/);
    assert.equal(socket.recovered, false);
    const pong = (await socket.emitWithAck('ping')) as { pong: string; user: string; query: string };
    assert.deepEqual(pong, { pong: socket.currentWorkerId, user: 'cy', query: 'r9' });
    socket.close();
    assert.deepEqual(states, ['connecting', 'connected', 'closed']);
  });

  test('plain emit is sent once, never resent; off removes a listener', async () => {
    const socket = connect<AnyEvents, AnyEvents>({ endpointUrl: `${front.url}/ws-endpoint`, ackTimeoutMs: 200 });
    const counted: string[] = [];
    const listener = (name: string) => counted.push(name);
    socket.on('counted', listener);
    // Emitted before the connection is up: buffered, then sent once.
    socket.emit('count');
    await opened(socket);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(counted.length, 1, `the handler never acks, and saw the emit ${counted.length} times`);
    socket.off('counted', listener);
    socket.emit('count');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(counted.length, 1, 'no listener after off');
    socket.close();
  });

  test('a namespace of the app', async () => {
    const socket = connect<AnyEvents, AnyEvents>({ endpointUrl: `${front.url}/ws-endpoint`, namespace: '/chat' });
    await opened(socket);
    assert.equal(await socket.emitWithAck('say', 'hi'), `${socket.currentWorkerId}/chat: hi`);
    socket.close();
  });
});

test('a front that cannot be reached ends in failed with the reason, and retries slowly', async () => {
  let fetches = 0;
  const socket = connect({
    endpointUrl: 'http://127.0.0.1:9/ws-endpoint',
    failedAfter: 3,
    fetch: (input, init) => {
      fetches += 1;
      return fetch(input, init);
    },
  });
  const failed = await new Promise<{ code: string; message: string } | null>((resolve) =>
    socket.on('sioroute:state', (state, info) => {
      if (state === 'failed') resolve(info.error);
    }),
  );
  assert.equal(failed?.code, 'NETWORK_ERROR');
  const atFailure = fetches;
  assert.equal(atFailure, 3);
  // After failing it waits at least 10 s between attempts: no spinning.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.equal(fetches, atFailure);
  socket.close();
  assert.equal(socket.state, 'closed');
});
