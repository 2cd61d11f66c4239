// Connection state recovery, in the embedded mode (the per-worker log of the cluster adapter) and
// with separate services over Redis (the Redis streams adapter): a client whose WebSocket is cut
// while its worker stays up comes back to the same worker with its session (same id, recovered),
// its rooms, and every broadcast sent to its room meanwhile, by a client on another worker too.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { WebSocket } from 'ws';
import { connect, type RoutedSocket } from '../client/index.js';
import { clientAddress, connectClient, httpGet, type DemoSocket } from '../testing/clients.js';
import { startCluster } from '../testing/cluster-process.js';
import { startRedis } from '../testing/redis-server.js';
import { startFrontService, startWorkerService } from '../testing/services.js';
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
let handlers: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sioroute-recovery-'));
  handlers = join(dir, 'handlers.mjs');
  await writeFile(handlers, HANDLERS);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('embedded: a blip on the same worker recovers the session, its rooms and the broadcasts of the gap', async () => {
  const cluster = await startCluster({ env: { HANDLERS: handlers, WORKERS: '2' } });
  try {
    await blipScenario(cluster.frontUrl, 900);
  } finally {
    await cluster.stop();
  }
});

test('separate services over Redis: the same, the session kept by the Redis streams adapter', async () => {
  const redis = await startRedis();
  const services: { stop(): Promise<unknown> }[] = [];
  try {
    const env = { ROUTING_SECRET: 'recovery-test-secret-recovery-test-secret-0', REDIS_URL: redis.url, HANDLERS: handlers };
    for (const index of [0, 1]) services.push(await startWorkerService({ ...env, WORKER_INDEX: String(index), WORKER_ID: `r${index}` }));
    const front = await startFrontService(env);
    services.push(front);
    await waitUntil('both workers routed', async () => (await httpGet(`${front.url}/status.json`)).json<{ list: unknown[] }>().list.length === 2);
    await blipScenario(front.url, 950);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await redis.stop();
  }
});

/** A listener in a room, a speaker on the other worker, a cut WebSocket, broadcasts in the gap. */
async function blipScenario(frontUrl: string, speakerAddresses: number): Promise<void> {
  const listener: RoutedSocket<Events, Events> = connect({ endpointUrl: `${frontUrl}/ws-endpoint` });
  const heard: string[] = [];
  listener.on('heard', (text: string) => heard.push(text));
  await new Promise<void>((resolve) => listener.on('connect', resolve));
  const home = (await listener.emitWithAck('join', 'room-1')) as string;
  await waitUntil('an upgrade to WebSocket', () => listener.transport === 'websocket');

  // A speaker on the other worker: its broadcasts reach the listener through the cluster adapter.
  let speaker: DemoSocket | undefined;
  for (let i = 0; i < 50 && !speaker; i++) {
    const candidate = await connectClient(frontUrl, clientAddress(speakerAddresses + i));
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
}
