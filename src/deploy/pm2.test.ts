// The shipped ecosystem.config.cjs under pm2 from npm: a front and two workers as pm2 apps,
// worker ports from NODE_APP_INSTANCE, Redis membership and broadcast, a pm2 restart that drains.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../paths.js';
import { clientAddress, connectClient, httpGet, type DemoSocket } from '../testing/clients.js';
import { freePortRun } from '../testing/free-ports.js';
import { startRedis, type RunningRedis } from '../testing/redis-server.js';
import { keepTalking } from '../testing/keep-talking.js';
import { RehomingClient } from '../testing/rehoming-client.js';
import { waitFor, waitUntil } from '../testing/wait-for.js';

const run = promisify(execFile);

interface StatusJson {
  list: { id: string; index: number; port: number; pid: number; state: string }[];
}


describe('pm2 with ecosystem.config.cjs', () => {
  let redis: RunningRedis;
  const pm2Home = mkdtempSync(join(tmpdir(), 'sioroute-pm2-'));
  let env: NodeJS.ProcessEnv;
  let frontUrl: string;
  const pm2 = (...args: string[]) => run('npx', ['--no-install', 'pm2', ...args], { cwd: PACKAGE_ROOT, env, timeout: 60_000 });

  before(async () => {
    redis = await startRedis();
    const port = await freePortRun(1);
    const basePort = await freePortRun(2);
    frontUrl = `http://127.0.0.1:${port}`;
    env = {
      ...process.env, PM2_HOME: pm2Home, ROUTING_SECRET: 'pm2-test-secret-of-at-least-32-bytes!!', REDIS_URL: redis.url,
      PORT: String(port), WORKER_BASE_PORT: String(basePort), WORKERS: '2', DRAIN_SECONDS: '1',
    };
    await pm2('start', 'ecosystem.config.cjs');
  });

  after(async () => {
    await pm2('kill').catch(() => {});
    rmSync(pm2Home, { recursive: true, force: true });
    await redis?.stop();
  });

  test('the front routes to both pm2 instances, each on WORKER_BASE_PORT + NODE_APP_INSTANCE; chat crosses them', async () => {
    const status = await waitFor('two ready workers', async () => {
      // The front may not listen yet.
      const s = await httpGet(`${frontUrl}/status.json`).then((r) => r.json<StatusJson>(), () => undefined);
      return s?.list.filter((w) => w.state === 'ready').length === 2 ? s : undefined;
    }, 20_000);
    const base = Number(env.WORKER_BASE_PORT);
    assert.deepEqual(status.list.map((w) => [w.index, w.port]).sort(), [[0, base], [1, base + 1]]);

    const sockets: { socket: DemoSocket; workerId: string }[] = [];
    for (let i = 0; i < 40 && new Set(sockets.map((s) => s.workerId)).size < 2; i++) {
      const { socket, endpoint } = await connectClient(frontUrl, clientAddress(800 + i));
      sockets.push({ socket, workerId: endpoint.workerId });
    }
    try {
      const a = sockets[0]!;
      const b = sockets.find((s) => s.workerId !== a.workerId)!;
      assert.ok(b, 'clients on both workers');
      const heard = new Promise<string>((resolve) => b.socket.once('chat:message', (m) => resolve(m.text)));
      await a.socket.timeout(5000).emitWithAck('chat:send', 'via pm2');
      assert.equal(await heard, 'via pm2');
    } finally {
      for (const s of sockets) s.socket.close();
    }
  });

  test('pm2 reload replaces one worker at a time, each draining (SIGINT) and signalling ready; clients echo throughout and lose no acknowledged emit', async () => {
    const before = (await httpGet(`${frontUrl}/status.json`)).json<StatusJson>().list;
    const clients: RehomingClient[] = [];
    for (let i = 0; i < 12; i++) clients.push(new RehomingClient(frontUrl, clientAddress(860 + i), i % 3 === 0 ? ['polling'] : ['websocket']));
    await Promise.all(clients.map((c) => c.start()));
    const talk = keepTalking(clients);
    // While it runs, the front must never be without a ready worker: one instance at a time.
    let lowest = 2;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const list = await httpGet(`${frontUrl}/status.json`).then((r) => r.json<StatusJson>().list, () => undefined);
        if (list) lowest = Math.min(lowest, list.filter((w) => w.state === 'ready').length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await pm2('reload', 'sioroute-worker', '--parallel', '1');
      const after = await waitFor('both workers replaced and ready', async () => {
        const list = (await httpGet(`${frontUrl}/status.json`)).json<StatusJson>().list;
        const replaced = before.every((old) => list.some((w) => w.id === old.id && w.port === old.port && w.pid !== old.pid && w.state === 'ready'));
        return replaced ? list : undefined;
      });
      assert.equal(after.length, 2);
      await waitUntil('every client connected', () => clients.every((c) => c.connected));
    } finally {
      watching = false;
      await watch;
      await talk.stop();
      for (const c of clients) c.close();
    }
    assert.ok(lowest >= 1, 'a ready worker at every moment of the reload');
    assert.equal(talk.counts.failed, 0, 'no emit failed');
    assert.equal(talk.counts.acked, talk.counts.sent, `every emit acknowledged (${talk.counts.acked} of ${talk.counts.sent})`);
    assert.ok(talk.counts.sent > clients.length * 5, `clients kept talking (${talk.counts.sent} emits)`);
    assert.ok(clients.some((c) => c.stats.drained > 0), 'clients were moved by drains');
  });
});
