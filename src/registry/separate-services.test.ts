// `sioroute front` and `sioroute worker` as services of their own: settings they cannot run
// without, static membership by probing (WORKER_URLS), and one id per live worker in Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientAddress, connectClient, httpGet, resolveEndpoint } from '../testing/clients.js';
import { runCli } from '../testing/cluster-process.js';
import { freePortRun } from '../testing/free-ports.js';
import { startRedis, type RunningRedis } from '../testing/redis-server.js';
import { startFrontService, startWorkerService, type RunningFrontService, type RunningWorkerService } from '../testing/services.js';
import { waitFor } from '../testing/wait-for.js';

const SECRET = 'separate-services-test-secret-32-bytes-or-more';


test('a front or a worker without what it needs exits 2 naming the setting', async () => {
  const front = await runCli(['front'], { PORT: '0' });
  assert.equal(front.code, 2);
  assert.match(front.stderr, /^sioroute: invalid setting ROUTING_SECRET=\(unset\): required by `sioroute front`/m);
  assert.match(front.stderr, /^sioroute: invalid setting REDIS_URL=\(unset\): `sioroute front` needs REDIS_URL/m);
  const worker = await runCli(['worker'], { PORT: '0', WORKER_BASE_PORT: '0' });
  assert.equal(worker.code, 2);
  assert.match(worker.stderr, /invalid setting ROUTING_SECRET=\(unset\): required by `sioroute worker`/);
  const embedded = await runCli(['start'], { WORKER_URLS: 'http://127.0.0.1:1' });
  assert.equal(embedded.code, 2);
  assert.match(embedded.stderr, /invalid setting WORKER_URLS="http:\/\/127.0.0.1:1": only `sioroute front` reads WORKER_URLS/);
});

describe('static membership: WORKER_URLS probed on /healthz', () => {
  const workers: RunningWorkerService[] = [];
  let front: RunningFrontService;
  let basePort: number;

  before(async () => {
    basePort = await freePortRun(2);
    // Two ports in a row: base + index. A taken neighbour fails the start loudly, not silently.
    for (const index of [0, 1]) workers.push(await startWorkerService({ ROUTING_SECRET: SECRET, WORKER_BASE_PORT: String(basePort), WORKER_INDEX: String(index), WORKER_ID: `s${index}`, DRAIN_SECONDS: '1' }));
    front = await startFrontService({ ROUTING_SECRET: SECRET, WORKER_URLS: `http://127.0.0.1:${basePort},http://127.0.0.1:${basePort + 1}` });
  });

  after(async () => {
    await Promise.all([front, ...workers].map((s) => s?.kill()));
  });

  test('clients reach the probed workers; a stopped worker leaves routing and its clients move; it joins again when back', async () => {
    const ids = async () => (await httpGet(`${front.url}/status.json`)).json<{ list: { id: string; state: string }[] }>().list.map((w) => w.id).sort();
    assert.deepEqual(await ids(), ['s0', 's1']);
    const clients = [];
    for (let i = 0; i < 12; i++) clients.push({ address: clientAddress(700 + i), ...(await connectClient(front.url, clientAddress(700 + i))) });
    const onS0 = clients.filter((c) => c.endpoint.workerId === 's0');
    assert.ok(onS0.length > 0 && onS0.length < clients.length, 'both workers have clients');
    for (const c of clients) assert.equal(await c.socket.timeout(5000).emitWithAck('echo', 1), 1);

    const moved = onS0.map((c) => new Promise<void>((resolve) => c.socket.once('disconnect', () => resolve())));
    assert.equal(await workers[0]!.stop(), 0, 'a drained worker exits 0');
    await Promise.all(moved);
    assert.deepEqual(await waitFor('s0 out of routing', async () => ((await ids()).includes('s0') ? undefined : await ids())), ['s1']);
    for (const c of onS0) assert.equal((await resolveEndpoint(front.url, c.address)).workerId, 's1');

    workers[0] = await startWorkerService({ ROUTING_SECRET: SECRET, WORKER_BASE_PORT: String(basePort), WORKER_INDEX: '0', WORKER_ID: 's0' });
    await waitFor('s0 back in routing', async () => ((await ids()).includes('s0') ? true : undefined));
    for (const c of onS0) assert.equal((await resolveEndpoint(front.url, c.address)).workerId, 's0', 'same answer as before');
    for (const c of clients) c.socket.close();
  });
});

describe('Redis registration', () => {
  let redis: RunningRedis;
  let first: RunningWorkerService | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await first?.kill();
    await redis?.stop();
  });

  test('a second live worker with the same WORKER_ID is refused with the reason', async () => {
    first = await startWorkerService({ ROUTING_SECRET: SECRET, REDIS_URL: redis.url, WORKER_ID: 'twin' });
    const second = await runCli(['worker'], { ROUTING_SECRET: SECRET, REDIS_URL: redis.url, WORKER_ID: 'twin', WORKER_BASE_PORT: '0', LOG_LEVEL: 'warn' });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /WORKER_ID=twin is held by another live worker in Redis/);
  });
});
