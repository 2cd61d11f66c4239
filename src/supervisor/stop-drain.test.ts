// Stop is a drain: SIGTERM to the whole process group (as Ctrl-C, systemd and `timeout` send it)
// tells every client to move, spreads their disconnects over DRAIN_SECONDS, turns /ws-endpoint
// and the workers' /readyz to 503 meanwhile, spawns nothing new, and exits within DRAIN_SECONDS + 5 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientAddress, connectClient, httpGet, type DemoSocket } from '../testing/clients.js';
import { startCluster } from '../testing/cluster-process.js';
import { waitUntil } from '../testing/wait-for.js';

const CLIENTS = 40;
const DRAIN_SECONDS = 3;

test('a group SIGTERM drains every client over DRAIN_SECONDS, answers 503 meanwhile, replaces nobody, and exits in time', { timeout: 60_000 }, async () => {
  const cluster = await startCluster({ env: { DRAIN_SECONDS: String(DRAIN_SECONDS), WORKERS: '2' }, detached: true });
  const clients: { socket: DemoSocket; noticeAt?: number; goneAt?: number }[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) {
      const { socket } = await connectClient(cluster.frontUrl, clientAddress(1200 + i), { transports: i % 4 === 0 ? ['polling'] : ['websocket'] });
      const entry: (typeof clients)[number] = { socket };
      socket.on('sioroute:drain', () => (entry.noticeAt ??= Date.now()));
      socket.on('disconnect', () => (entry.goneAt ??= Date.now()));
      clients.push(entry);
    }
    const worker = cluster.workers[0]!;
    const stoppedAt = Date.now();
    process.kill(-cluster.process.pid!, 'SIGTERM');

    await waitUntil('the front out of routing', async () => (await httpGet(`${cluster.frontUrl}/ws-endpoint`, { localAddress: clientAddress(1300) })).status === 503, 5000);
    const refused = await httpGet(`${cluster.frontUrl}/ws-endpoint`, { localAddress: clientAddress(1301) });
    assert.equal(refused.json<{ code: string }>().code, 'NO_HEALTHY_WORKER');
    assert.ok(Number(refused.headers['retry-after']) >= 1, 'with Retry-After');
    const readyz = await httpGet(`http://127.0.0.1:${worker.port}/readyz`);
    assert.equal(readyz.status, 503, 'a draining worker is not ready');

    const code = await new Promise<number | null>((resolve) => cluster.process.once('exit', (c) => resolve(c)));
    const tookMs = Date.now() - stoppedAt;
    assert.equal(code, 0);
    assert.ok(tookMs <= (DRAIN_SECONDS + 5) * 1000, `stopped in ${tookMs} ms`);
    await waitUntil('every client gone', () => clients.every((c) => c.goneAt !== undefined), 5000);
    for (const [i, c] of clients.entries()) {
      assert.ok(c.noticeAt !== undefined && c.noticeAt <= c.goneAt!, `client ${i} was told to move before its disconnect (${JSON.stringify({ noticeAt: c.noticeAt, goneAt: c.goneAt, stoppedAt })})`);
    }
    const gone = clients.map((c) => c.goneAt!).sort((a, b) => a - b);
    assert.ok(gone.at(-1)! - gone[0]! >= 1000, `disconnects spread over ${gone.at(-1)! - gone[0]!} ms`);
    const after = cluster.lines.slice(cluster.lines.findIndex((line) => line.includes('"msg":"stopping"')));
    assert.deepEqual(after.filter((line) => /starting its replacement|respawning|restarting it/.test(line)), [], 'nothing was replaced or respawned');
  } finally {
    for (const c of clients) c.socket.close();
    await cluster.stop();
  }
});
