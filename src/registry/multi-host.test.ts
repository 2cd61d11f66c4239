// Several hosts, for real: a redis-server, workers bound on 127.0.0.2, 127.0.0.3 and 127.0.0.4 as
// three hosts (`sioroute worker`, two each), and two fronts (`sioroute front`) watching Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WsEndpoint } from '../protocol/wire.js';
import { clientAddress, connectClient, httpGet, resolveEndpoint, type DemoSocket } from '../testing/clients.js';
import { startRedis, type RunningRedis } from '../testing/redis-server.js';
import { RehomingClient } from '../testing/rehoming-client.js';
import { startFrontService, startWorkerService, type RunningFrontService, type RunningWorkerService } from '../testing/services.js';
import { waitFor } from '../testing/wait-for.js';

const SECRET = 'multi-host-test-secret-of-at-least-32-bytes';
const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
/** Generous: re-homing takes well under a second here; only a client that never comes back reaches this. */
const REHOME_LIMIT_MS = 30_000;

interface StatusJson {
  list: { id: string; state: string; weight: number; pid: number }[];
}


const hostOf = (workerId: string) => HOSTS[Number(workerId[1])]!;

describe('several hosts with Redis membership and the Redis streams adapter', () => {
  let redis: RunningRedis;
  const workers: RunningWorkerService[] = [];
  const fronts: RunningFrontService[] = [];

  const readyIds = async (front: RunningFrontService) =>
    (await httpGet(`${front.url}/status.json`)).json<StatusJson>().list.filter((w) => w.state === 'ready').map((w) => w.id).sort();

  before(async () => {
    redis = await startRedis();
    const common = { REDIS_URL: redis.url, ROUTING_SECRET: SECRET, DRAIN_SECONDS: '1' };
    const started = await Promise.all(
      HOSTS.flatMap((host, h) =>
        [0, 1].map((i) =>
          startWorkerService({
            ...common,
            HOST: host,
            WORKER_ID: `h${h}w${i}`,
            WORKER_INDEX: String(i),
            // Each host advertises its own address; the front's host name means nothing here.
            WORKER_PUBLIC_URL: `http://${host}:{port}`,
            // One worker counts twice: the hashing must honour it.
            ...(h === 0 && i === 0 ? { WORKER_WEIGHT: '2' } : {}),
          }),
        ),
      ),
    );
    workers.push(...started);
    fronts.push(...(await Promise.all([startFrontService(common), startFrontService(common)])));
    const all = workers.map((w) => w.id).sort();
    for (const front of fronts) await waitFor('both fronts to see all six workers', async () => ((await readyIds(front)).join() === all.join() ? true : undefined));
  });

  after(async () => {
    await Promise.all([...fronts, ...workers].map((s) => s.kill()));
    await redis?.stop();
  });

  test('either front gives the same worker for the same address, every host gets clients, weights count', async () => {
    const perWorker = new Map<string, number>();
    for (let i = 0; i < 240; i++) {
      const [a, b] = await Promise.all(fronts.map((front) => resolveEndpoint(front.url, clientAddress(i))));
      assert.equal(a!.workerId, b!.workerId, `${clientAddress(i)} got ${a!.workerId} and ${b!.workerId}`);
      assert.equal(new URL(a!.url).hostname, hostOf(a!.workerId), 'the address is the worker\'s own host');
      perWorker.set(a!.workerId, (perWorker.get(a!.workerId) ?? 0) + 1);
    }
    assert.equal(perWorker.size, 6, `every worker gets clients: ${JSON.stringify([...perWorker])}`);
    const status = (await httpGet(`${fronts[0]!.url}/status.json`)).json<StatusJson>();
    assert.equal(status.list.find((w) => w.id === 'h0w0')!.weight, 2);
    // Weight 2 of 7: expected 69 of 240; weight 1: 34 each. Far apart even with sampling noise.
    const others = [...perWorker].filter(([id]) => id !== 'h0w0').map(([, n]) => n);
    assert.ok(perWorker.get('h0w0')! > Math.max(...others) * 1.2 || perWorker.get('h0w0')! > 50, `weight 2 worker got ${perWorker.get('h0w0')}, others ${others.join(',')}`);
  });

  test('each separate front and worker serves its own /metrics', async () => {
    const front = await httpGet(`${fronts[0]!.url}/metrics`);
    assert.equal(front.status, 200);
    assert.match(front.body, /^sioroute_routing_answers_total\{worker="h\dw\d"\} [1-9]/m, 'the answers of the test above are counted');
    assert.match(front.body, /^sioroute_workers\{state="ready"\} 6$/m);
    const worker = workers[0]!;
    const own = await httpGet(`http://${hostOf(worker.id)}:${worker.port}/metrics`);
    assert.equal(own.status, 200);
    assert.match(own.body, new RegExp(`^sioroute_worker_clients\\{worker="${worker.id}"\\} \\d+$`, 'm'));
    assert.match(own.body, /^process_resident_memory_bytes\{role="worker",worker="h\dw\d"\} \d+/m);
  });

  test('chat crosses hosts through the Redis adapter', async () => {
    const clients = await connectSpread(fronts[0]!, 400);
    try {
      const [sender, ...listeners] = clients;
      const received = listeners.map((c) => new Promise<string>((resolve) => c.socket.once('chat:message', (m) => resolve(m.text))));
      assert.deepEqual(await sender!.socket.timeout(5000).emitWithAck('chat:send', 'across hosts'), { ok: true });
      assert.deepEqual(await Promise.all(received), listeners.map(() => 'across hosts'));
    } finally {
      for (const c of clients) c.socket.close();
    }
  });

  test('restarting Redis drops no live session; routing goes on from the last known set; chat crosses hosts again after', async () => {
    const clients = await connectSpread(fronts[1]!, 500);
    const disconnects: string[] = [];
    for (const c of clients) c.socket.on('disconnect', (reason) => disconnects.push(`${c.endpoint.workerId}: ${reason}`));
    try {
      await redis.kill();
      // While Redis is gone: fronts still answer from what they last read, workers still serve.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const during = await Promise.all(fronts.map((front) => resolveEndpoint(front.url, clientAddress(510))));
      assert.equal(during[0]!.workerId, during[1]!.workerId);
      for (const c of clients) assert.equal(await c.socket.timeout(5000).emitWithAck('echo', 'still here'), 'still here');
      await redis.start();
      // Workers register again within a heartbeat; fronts keep all six throughout.
      await waitFor('workers registered again', async () => {
        const status = (await httpGet(`${fronts[0]!.url}/status.json`)).json<StatusJson>();
        return status.list.filter((w) => w.state === 'ready').length === 6 ? true : undefined;
      });
      // The adapter resumes reading its stream: a chat message reaches every host again.
      const [sender, ...listeners] = clients;
      await waitFor('chat across hosts after the Redis restart', async () => {
        const text = `after restart ${Date.now()}`;
        const received = listeners.map(
          (c) => new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 1500);
            c.socket.on('chat:message', (m) => m.text === text && (clearTimeout(timer), resolve(true)));
          }),
        );
        await sender!.socket.timeout(5000).emitWithAck('chat:send', text);
        return (await Promise.all(received)).every(Boolean) ? true : undefined;
      }, 20_000);
      assert.deepEqual(disconnects, [], 'no session was dropped');
    } finally {
      for (const c of clients) c.socket.close();
    }
  });

  test('stopping a whole host re-homes every one of its clients on another host; clients of other hosts are not disturbed', async () => {
    const victimHost = HOSTS[1];
    const clients: RehomingClient[] = [];
    for (let i = 600; i < 660; i++) clients.push(new RehomingClient(fronts[i % 2]!.url, clientAddress(i)));
    await Promise.all(clients.map((c) => c.start()));
    const victims = clients.filter((c) => hostOf(c.workerId!) === victimHost);
    const bystanders = clients.filter((c) => hostOf(c.workerId!) !== victimHost);
    assert.ok(victims.length > 0 && bystanders.length > 0, `${victims.length} victims, ${bystanders.length} bystanders`);
    const before = new Map(clients.map((c) => [c, c.connectedAt]));
    try {
      const killedAt = Date.now();
      await Promise.all(workers.filter((w) => hostOf(w.id) === victimHost).map((w) => w.kill()));
      // How fast is for the benchmarks (bench/failover.ts): here every victim must come back, on another
      // host, within a bound only a hang would reach.
      const rehomed = await Promise.all(
        victims.map(async (c) => {
          await waitFor(`${c.localAddress} re-homed`, async () => (c.connected && c.connectedAt > killedAt && hostOf(c.workerId!) !== victimHost ? true : undefined), REHOME_LIMIT_MS);
          assert.equal(await c.echo('back'), 'back');
          return { workerId: c.workerId!, ms: c.connectedAt - killedAt };
        }),
      );
      assert.equal(rehomed.length, victims.length);
      for (const { workerId } of rehomed) assert.notEqual(hostOf(workerId), victimHost, `re-homed on ${workerId}`);
      const rehomeMs = rehomed.map((r) => r.ms).sort((a, b) => a - b);
      console.log(`host ${victimHost} stopped: ${victims.length} clients re-homed, p50 ${rehomeMs[Math.floor(rehomeMs.length / 2)]} ms, max ${rehomeMs.at(-1)} ms`);
      for (const c of bystanders) {
        assert.equal(await c.echo('ok'), 'ok');
        assert.equal(c.connectedAt, before.get(c), `${c.localAddress} on ${c.workerId} was disturbed`);
      }
      // Both fronts drop the host's workers once their records expire.
      for (const front of fronts) await waitFor('the host\'s workers out of membership', async () => ((await readyIds(front)).some((id) => hostOf(id) === victimHost) ? undefined : true), 5000);
    } finally {
      for (const c of clients) c.close();
    }
  });

  /** Clients from distinct addresses until every host has at least one; bounded. */
  async function connectSpread(front: RunningFrontService, from: number): Promise<{ socket: DemoSocket; endpoint: WsEndpoint }[]> {
    const clients: { socket: DemoSocket; endpoint: WsEndpoint }[] = [];
    const hosts = new Set<string>();
    for (let i = from; i < from + 60 && hosts.size < HOSTS.length; i++) {
      const endpoint = await resolveEndpoint(front.url, clientAddress(i));
      if (hosts.has(hostOf(endpoint.workerId))) continue;
      hosts.add(hostOf(endpoint.workerId));
      clients.push(await connectClient(front.url, clientAddress(i), { transports: i % 2 ? ['polling'] : ['websocket'] }));
    }
    assert.equal(hosts.size, HOSTS.length, 'clients on every host');
    return clients;
  }
});
