// Connection state recovery in the embedded mode: a client whose WebSocket is cut while its worker
// stays up comes back to the same worker with its session (same id, recovered), its rooms, and
// every broadcast sent to its room meanwhile, by a client on another worker too.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { WebSocket } from 'ws';
import { connect, type RoutedSocket } from '../client/index.js';
import { clientAddress, connectClient, type DemoSocket } from '../testing/clients.js';
import { startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { waitUntil } from '../testing/wait-for.js';

type Events = Record<string, (...args: any[]) => void>;

const HANDLERS = `
export function register(io, context) {
  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => { socket.join(room); ack(context.workerId); });
    socket.on('shout', (room, text, ack) => { io.to(room).emit('heard', text); ack(true); });
  });
}
`;

let dir: string;
let cluster: RunningCluster;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sioroute-recovery-'));
  await writeFile(join(dir, 'handlers.mjs'), HANDLERS);
  cluster = await startCluster({ env: { HANDLERS: join(dir, 'handlers.mjs'), WORKERS: '2' } });
});
after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a blip on the same worker recovers the session, its rooms and the broadcasts of the gap', async () => {
  const listener: RoutedSocket<Events, Events> = connect({ endpointUrl: `${cluster.frontUrl}/ws-endpoint` });
  const heard: string[] = [];
  listener.on('heard', (text: string) => heard.push(text));
  await new Promise<void>((resolve) => listener.on('connect', resolve));
  const home = (await listener.emitWithAck('join', 'room-1')) as string;
  await waitUntil('an upgrade to WebSocket', () => listener.transport === 'websocket');

  // A speaker on the other worker: its broadcasts reach the listener through the cluster adapter.
  let speaker: DemoSocket | undefined;
  for (let i = 0; i < 50 && !speaker; i++) {
    const candidate = await connectClient(cluster.frontUrl, clientAddress(900 + i));
    if (candidate.endpoint.workerId !== home) speaker = candidate.socket;
    else candidate.socket.close();
  }
  assert.ok(speaker, 'a speaker on the other worker');
  const shout = (text: string) => (speaker as unknown as { timeout(ms: number): { emitWithAck(...args: unknown[]): Promise<unknown> } }).timeout(5000).emitWithAck('shout', 'room-1', text);
  await shout('before');
  await waitUntil('the first broadcast', () => heard.includes('before'));

  const idBefore = listener.id;
  const recovered = new Promise<void>((resolve) => listener.on('connect', () => resolve()));
  // The blip: the TCP connection of the WebSocket is cut; the worker stays up.
  ((listener.socket!.io.engine.transport as unknown as { ws: WebSocket }).ws).terminate();
  await Promise.all([shout('gap 1'), shout('gap 2')]);
  await recovered;
  assert.equal(listener.recovered, true, 'socket.io took the session up again');
  assert.equal(listener.id, idBefore, 'same session id');
  assert.equal(listener.currentWorkerId, home, 'same worker');
  await waitUntil('the broadcasts of the gap', () => heard.includes('gap 2'));
  await shout('after');
  await waitUntil('a broadcast after', () => heard.includes('after'));
  assert.deepEqual(heard, ['before', 'gap 1', 'gap 2', 'after'], 'each broadcast once, in order, the room kept');
  listener.close();
  speaker.close();
});
