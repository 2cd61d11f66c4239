// /metrics of the embedded cluster as users run it: the front's scrape adds up the front and every
// worker process; each worker also answers on its own port; a hung worker does not block a scrape.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddress, connectClient, connectTo, errorCode, httpGet, resolveEndpoint, type DemoSocket } from '../testing/clients.js';
import { startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { scrape, type Scrape } from '../testing/prometheus.js';

async function waitForScrape(url: string, what: string, check: (metrics: Scrape) => boolean, timeoutMs = 15_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  let last: Scrape | undefined;
  while (Date.now() < deadline) {
    last = await scrape(url);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last scrape:\n${last?.text.split('\n').filter((l) => l.startsWith('sioroute_')).join('\n')}`);
}

describe('metrics of the embedded cluster', () => {
  let cluster: RunningCluster;
  const sockets: DemoSocket[] = [];
  before(async () => {
    // Only 127.0.0.1 may scrape: the simulated clients (127.0.1.x) may not.
    cluster = await startCluster({ env: { WORKERS: '2', METRICS_FROM: '127.0.0.1', ROUTING_SECRET: 'cluster-metrics-secret-cluster-metrics-0' } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    assert.equal(await cluster.stop(), 0);
  });

  test('the front adds up every process: clients, answers and refusals per worker, latency, membership', async () => {
    const clientsOf = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(i), { transports: i % 3 === 0 ? ['polling'] : ['websocket'] });
      sockets.push(socket);
      clientsOf.set(endpoint.workerId, (clientsOf.get(endpoint.workerId) ?? 0) + 1);
    }
    assert.equal(clientsOf.size, 2, 'clients on both workers');
    // One more client, refused: a forged token.
    const endpoint = await resolveEndpoint(cluster.frontUrl, clientAddress(20));
    const refused = await connectTo({ ...endpoint, token: 'forged' }, { localAddress: clientAddress(20) }).then(
      () => assert.fail('a forged token was admitted'),
      (e: unknown) => errorCode(e),
    );
    assert.equal(refused, 'TOKEN_INVALID');
    const answers = new Map(clientsOf);
    answers.set(endpoint.workerId, (answers.get(endpoint.workerId) ?? 0) + 1);

    // Worker heartbeats and closing refused transports take a moment to show.
    const metrics = await waitForScrape(`${cluster.frontUrl}/metrics`, 'the 12 clients', (m) => m.sum('sioroute_worker_clients') === 12);
    assert.deepEqual(metrics.by('sioroute_worker_clients', 'worker'), clientsOf);
    assert.equal(metrics.sum('sioroute_admissions_total'), 12);
    assert.equal(metrics.sum('sioroute_admissions_refused_total', { code: 'TOKEN_INVALID' }), 1);
    assert.equal(metrics.sum('sioroute_admissions_refused_total', { code: 'TOKEN_INVALID', worker: endpoint.workerId }), 1);
    assert.equal(metrics.sum('sioroute_admissions_refused_total'), 1);
    assert.deepEqual(metrics.by('sioroute_routing_answers_total', 'worker'), answers);
    assert.equal(metrics.histogram('sioroute_ws_endpoint_duration_seconds').count, 13);
    assert.equal(metrics.sum('sioroute_membership_changes_total', { change: 'joined' }), 2);
    assert.equal(metrics.sum('sioroute_workers', { state: 'ready' }), 2);
    assert.equal(metrics.sum('sioroute_scrape_unanswered_workers'), 0);
    // Process metrics, one series per process.
    const processes = metrics.samples('process_resident_memory_bytes').map((s) => `${s.labels.role}/${s.labels.worker ?? ''}`);
    assert.deepEqual(processes.sort(), ['front/', 'worker/w0', 'worker/w1']);

    // /status.json tells the same story, once the heartbeats (every 500 ms) have reached the front.
    type StatusJson = { clients: number; list: { id: string; clients: number; routingAnswers: number }[] };
    let status = (await httpGet(`${cluster.frontUrl}/status.json`)).json<StatusJson>();
    for (const deadline = Date.now() + 15_000; status.clients !== 12 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await httpGet(`${cluster.frontUrl}/status.json`)).json<StatusJson>();
    }
    assert.deepEqual(new Map(status.list.map((w) => [w.id, w.clients])), clientsOf);
    assert.deepEqual(new Map(status.list.map((w) => [w.id, w.routingAnswers])), answers);
  });

  test('each worker answers /metrics on its own port with its own series', async () => {
    for (const worker of cluster.workers) {
      const metrics = await scrape(`http://127.0.0.1:${worker.port}/metrics`);
      assert.deepEqual([...metrics.by('sioroute_worker_clients', 'worker').keys()], [worker.id]);
      assert.deepEqual(metrics.samples('process_resident_memory_bytes').map((s) => s.labels), [{ role: 'worker', worker: worker.id }]);
      assert.equal(metrics.families.has('sioroute_routing_answers_total'), false);
    }
  });

  test('peers outside METRICS_FROM get 403 METRICS_FORBIDDEN from the front and the workers', async () => {
    for (const url of [cluster.frontUrl, ...cluster.workers.map((w) => `http://127.0.0.1:${w.port}`)]) {
      const answer = await httpGet(`${url}/metrics`, { localAddress: clientAddress(5) });
      assert.equal(answer.status, 403, url);
      assert.equal(answer.json<{ code: string }>().code, 'METRICS_FORBIDDEN');
    }
  });

  test('a hung worker is left out of the scrape, not waited for without end', async () => {
    const hung = cluster.workers[0]!;
    process.kill(hung.pid, 'SIGSTOP');
    try {
      const metrics = await scrape(`${cluster.frontUrl}/metrics`);
      assert.equal(metrics.sum('sioroute_scrape_unanswered_workers'), 1);
      assert.deepEqual([...metrics.by('sioroute_worker_clients', 'worker').keys()], [cluster.workers[1]!.id]);
    } finally {
      process.kill(hung.pid, 'SIGCONT');
    }
  });

  test('operator signals: build info, front refusals by code, and a crash counted with its respawn', async () => {
    const before = await scrape(`${cluster.frontUrl}/metrics`);
    const info = before.samples('sioroute_build_info');
    assert.equal(info.length, 1, 'one series, kept as the maximum over the processes');
    assert.equal(info[0]!.value, 1);
    assert.match(info[0]!.labels.version ?? '', /^\d+\.\d+\.\d+/);
    assert.match(info[0]!.labels.node ?? '', /^v\d+\./);
    for (const code of ['RATE_LIMITED', 'OVERLOADED', 'NO_HEALTHY_WORKER']) assert.equal(before.sum('sioroute_front_refusals_total', { code }), 0, code);
    const bad = await httpGet(`${cluster.frontUrl}/ws-endpoint?avoid=%00`, { localAddress: clientAddress(60) });
    assert.equal(bad.status, 400);
    const victim = cluster.workers[1]!;
    process.kill(victim.pid, 'SIGKILL');
    const after = await waitForScrape(`${cluster.frontUrl}/metrics`, 'a crash and its respawn', (m) => m.sum('sioroute_process_respawns_total', { slot: victim.id }) === 1);
    assert.equal(after.sum('sioroute_process_crashes_total', { slot: victim.id }), 1);
    assert.equal(after.sum('sioroute_process_crashes_total', { slot: cluster.workers[0]!.id }), 0);
    assert.equal(after.sum('sioroute_front_refusals_total', { code: 'BAD_REQUEST' }), 1);
  });
});
