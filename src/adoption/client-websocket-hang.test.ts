// A network that swallows WebSocket handshakes without refusing them: a TCP relay in front of a real
// worker passes plain HTTP on but holds every Upgrade request open, unanswered. sioroute/client's
// WebSocket-first attempt then times out; the next attempt must start with polling and connect,
// and the client must stay on polling-first from then on.
import assert from 'node:assert/strict';
import { connect as tcpConnect, createServer, type AddressInfo, type Socket as TcpSocket } from 'node:net';
import { after, before, test } from 'node:test';
import { connect, type RoutedSocketError } from '../client/index.js';
import { startExistingWorker, startPluginFront, type ExistingWorker } from './existing-app.js';

type AnyEvents = Record<string, (...args: any[]) => void>;

/** A relay to `port` that never answers a WebSocket handshake; counts the ones it swallowed. */
async function startSwallowingRelay(port: () => number): Promise<{ url: string; swallowed: () => number; close: () => Promise<void> }> {
  let swallowed = 0;
  const open = new Set<TcpSocket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    client.once('data', (first) => {
      if (/^upgrade:\s*websocket/im.test(first.toString('latin1'))) {
        swallowed++;
        return; // held open, never answered: what a proxy that drops WebSocket traffic looks like
      }
      const upstream = tcpConnect(port(), '127.0.0.1');
      open.add(upstream);
      upstream.on('close', () => (open.delete(upstream), client.destroy()));
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.write(first);
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    swallowed: () => swallowed,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let worker: ExistingWorker;
let relay: Awaited<ReturnType<typeof startSwallowingRelay>>;
let front: Awaited<ReturnType<typeof startPluginFront>>;

before(async () => {
  relay = await startSwallowingRelay(() => worker.port);
  // The worker announces the relay's address, so the front hands it out: clients reach the worker through it.
  worker = await startExistingWorker('hw0', { publicUrl: relay.url });
  front = await startPluginFront([relay.url]);
});

after(async () => {
  await front?.close();
  await relay?.close();
  await worker?.close();
});

test('a WebSocket that hangs: the attempt times out, the next starts with polling and connects', { timeout: 30_000 }, async () => {
  const errors: RoutedSocketError[] = [];
  const socket = connect<AnyEvents, AnyEvents>({ endpointUrl: `${front.url}/ws-endpoint`, connectTimeoutMs: 1000 });
  try {
    socket.on('connect_error', (error) => errors.push(error));
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    assert.deepEqual(errors.map((e) => `${e.code}: ${e.message}`), ['CONNECT_FAILED: timeout'], 'one attempt hung, then polling worked');
    assert.equal(socket.transport, 'polling');
    assert.deepEqual(await socket.emitWithAck('ping'), { pong: 'hw0', user: null, query: null });
    assert.ok(relay.swallowed() >= 1, 'the WebSocket handshake reached the relay and was held');
    // The upgrade probe hangs as well, harmlessly: the session stays on polling and answers.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(socket.state, 'connected');
    assert.equal(socket.transport, 'polling');
    assert.deepEqual(await socket.emitWithAck('ping'), { pong: 'hw0', user: null, query: null });
  } finally {
    socket.close();
  }
});
