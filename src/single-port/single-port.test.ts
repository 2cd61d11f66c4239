// `sioroute start --single-port` as users run it, driven by real socket.io clients from distinct
// loopback source addresses: one public port, each connection on the worker its address hashes to.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { ChatMessage, WsEndpoint } from '../protocol/wire.js';
import type { Status } from '../front/status.js';
import { clientAddress, connectClient, httpGet, resolveEndpoint, type DemoSocket } from '../testing/clients.js';
import { startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { RehomingClient } from '../testing/rehoming-client.js';
import { waitFor, waitUntil } from '../testing/wait-for.js';
import { pureRoute } from '../routing/test-keys.js';

const secret = 'single-port-test-secret-single-port-test-0';

/** What the pure routing function picks for an address among these workers (equal weights). */


const status = async (frontUrl: string) => (await httpGet(`${frontUrl}/status.json`)).json<Status>();

/** Listening TCP sockets held by a process (Linux /proc). */
function listeningSockets(pid: number): number {
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A') listening.add(fields[9]!);
    }
  }
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode !== undefined && listening.has(inode)) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe('single-port mode, three workers', () => {
  let cluster: RunningCluster;
  const sockets: DemoSocket[] = [];
  const ids = ['w0', 'w1', 'w2'];
  before(async () => {
    // TRUST_PROXY: one test plays a proxy in front; the others send no X-Forwarded-For.
    cluster = await startCluster({ args: ['--single-port'], env: { WORKERS: '3', ROUTING_SECRET: secret, DRAIN_SECONDS: '1', TRUST_PROXY: 'loopback' } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    assert.equal(await cluster.stop(), 0, 'clean exit on SIGTERM');
  });

  test('one port serves the page, /ws-endpoint, /status.json, /healthz and socket.io; no worker listens anywhere', async () => {
    assert.equal(cluster.frontPid, cluster.process.pid, 'the supervisor owns the public port');
    assert.equal(listeningSockets(cluster.process.pid!), 1);
    for (const worker of cluster.workers) {
      assert.equal(worker.port, cluster.frontPort, `${worker.id} is reached at the public port`);
      assert.equal(listeningSockets(worker.pid), 0, `${worker.id} holds no listening socket`);
    }
    const page = await httpGet(`${cluster.frontUrl}/`, { localAddress: clientAddress(1) });
    assert.equal(page.status, 200);
    const embedded = JSON.parse(/<script id="ws-endpoint" type="application\/json">(.*?)<\/script>/.exec(page.body)![1]!) as WsEndpoint;
    assert.equal(embedded.url, cluster.frontUrl);
    assert.equal(embedded.workerId, pureRoute(ids, clientAddress(1)));
    const endpoint = await resolveEndpoint(cluster.frontUrl, clientAddress(1));
    assert.deepEqual({ url: endpoint.url, path: endpoint.path, workerId: endpoint.workerId }, { url: cluster.frontUrl, path: '/socket.io', workerId: embedded.workerId });
    assert.deepEqual((await httpGet(`${cluster.frontUrl}/healthz`)).json(), { status: 'ok', workers: { healthy: 3, total: 3 } });
    assert.deepEqual((await status(cluster.frontUrl)).list.map((w) => [w.id, w.port, w.state]), ids.map((id) => [id, cluster.frontPort, 'ready']));
    assert.equal((await httpGet(`${cluster.frontUrl}/client/app.js`)).status, 200);
    const missing = await httpGet(`${cluster.frontUrl}/no/such/thing`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ code: string }>().code, 'NOT_FOUND');
  });

  test('polling-only and WebSocket clients from distinct addresses land on the worker the pure routing function picks', async () => {
    const clients = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const address = clientAddress(10 + i);
        const transport = i % 2 === 0 ? ('polling' as const) : ('websocket' as const);
        const { socket, endpoint } = await connectClient(cluster.frontUrl, address, { transports: [transport] });
        sockets.push(socket);
        return { socket, endpoint, address, transport };
      }),
    );
    await Promise.all(
      clients.map(async ({ socket, endpoint, address, transport }) => {
        const me = await socket.timeout(10_000).emitWithAck('whoami');
        assert.equal(me.workerId, pureRoute(ids, address), `${address} (${transport})`);
        assert.equal(endpoint.workerId, me.workerId, 'the answer of /ws-endpoint is the worker the primary handed the connection to');
        assert.equal(me.address, address, 'the worker sees the client\'s own address');
        for (let n = 0; n < 20; n++) assert.equal(await socket.timeout(10_000).emitWithAck('echo', `${address}#${n}`), `${address}#${n}`);
        assert.equal(socket.io.engine.transport.name, transport);
      }),
    );
    assert.equal(new Set(clients.map((c) => c.endpoint.workerId)).size, 3, 'clients spread over all workers');
  });

  test('the default mode names the same worker for every address, so a site can switch modes without moving clients', async () => {
    const classic = await startCluster({ env: { WORKERS: '3' } });
    try {
      for (let i = 100; i < 160; i++) {
        const address = clientAddress(i);
        const [single, fronted] = await Promise.all([resolveEndpoint(cluster.frontUrl, address), resolveEndpoint(classic.frontUrl, address)]);
        assert.equal(single.workerId, fronted.workerId, address);
      }
    } finally {
      await classic.stop();
    }
  });

  test('avoid cannot be honoured by a primary that routes by address: /ws-endpoint names the hashed worker anyway, and rejects a malformed one', async () => {
    const address = clientAddress(200);
    const picked = pureRoute(ids, address);
    const answer = await resolveEndpoint(cluster.frontUrl, address, picked);
    assert.equal(answer.workerId, picked);
    const bad = await httpGet(`${cluster.frontUrl}/ws-endpoint?avoid=${encodeURIComponent('../x')}`, { localAddress: address });
    assert.equal(bad.status, 400);
  });

  test('behind a trusted proxy every connection comes from the proxy\'s address: all its clients land on one worker, and the answers agree', async () => {
    const proxy = clientAddress(250);
    const worker = pureRoute(ids, proxy);
    const clients: DemoSocket[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const forwarded = `198.51.100.${i + 1}`;
        const headers = { 'x-forwarded-for': forwarded };
        const answer = await httpGet(`${cluster.frontUrl}/ws-endpoint`, { localAddress: proxy, headers });
        assert.equal(answer.status, 200);
        const endpoint = answer.json<WsEndpoint>();
        // The primary reads no header: the answer follows the proxy's address too, or the token would be refused.
        assert.equal(endpoint.workerId, worker, `the answer for ${forwarded}`);
        const { socket } = await connectClient(cluster.frontUrl, proxy, { transports: [i % 2 ? 'websocket' : 'polling'], extraHeaders: headers });
        clients.push(socket);
        assert.equal((await socket.timeout(5000).emitWithAck('whoami')).workerId, worker);
      }
    } finally {
      for (const socket of clients) socket.close();
    }
  });

  test('chat crosses workers', async () => {
    const byWorker = new Map<string, DemoSocket>();
    for (let i = 300; byWorker.size < 3 && i < 400; i++) {
      const worker = pureRoute(ids, clientAddress(i));
      if (byWorker.has(worker)) continue;
      const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(i), { transports: byWorker.size === 1 ? ['polling'] : ['websocket'] });
      assert.equal(endpoint.workerId, worker);
      sockets.push(socket);
      byWorker.set(worker, socket);
    }
    const [a, b, c] = [...byWorker.values()];
    const heardByB = once(b as unknown as NodeJS.EventEmitter, 'chat:message');
    const heardByC = once(c as unknown as NodeJS.EventEmitter, 'chat:message');
    assert.deepEqual(await a!.timeout(5000).emitWithAck('chat:send', 'hello across workers'), { ok: true });
    for (const heard of [heardByB, heardByC]) assert.equal(((await heard) as [ChatMessage])[0].text, 'hello across workers');
    // The one port's /metrics is the whole cluster's, whichever worker the scraper lands on.
    for (const scraper of ['127.0.0.1', clientAddress(401)]) {
      const text = (await httpGet(`${cluster.frontUrl}/metrics`, { localAddress: scraper })).body;
      for (const id of ids) assert.match(text, new RegExp(`^sioroute_worker_clients\\{worker="${id}"\\} \\d+$`, 'm'), `${id} in the scrape from ${scraper}`);
      assert.match(text, /^sioroute_scrape_unanswered_workers 0$/m);
    }
  });

  test('SIGTERM drains one worker: its clients move with a drain notice, nobody else is disturbed', async () => {
    const clients = Array.from({ length: 24 }, (_, i) => new RehomingClient(cluster.frontUrl, clientAddress(500 + i), i % 3 === 0 ? ['polling'] : ['websocket']));
    try {
      await Promise.all(clients.map((c) => c.start()));
      const victim = (await status(cluster.frontUrl)).list.find((w) => w.id === clients[0]!.workerId)!;
      const victims = clients.filter((c) => c.workerId === victim.id);
      const bystanders = clients.filter((c) => c.workerId !== victim.id);
      assert.ok(victims.length > 0 && bystanders.length > 0);
      process.kill(victim.pid, 'SIGTERM');
      await waitFor('every drained client to be connected again', () => (victims.every((c) => c.connected && c.stats.drained + c.stats.lost > 0) ? true : undefined));
      await Promise.all(clients.map(async (c, n) => assert.equal(await c.echo(`after drain ${n}`), `after drain ${n}`)));
      // A polling client that moved before the slot's replacement was ready may move once more when
      // it comes back (its next new TCP connection hashes there): the README says so.
      for (const c of victims) assert.ok(c.stats.drained >= 1, `${c.localAddress}: moved by the drain (${JSON.stringify(c.stats)})`);
      for (const c of bystanders) assert.deepEqual(c.stats, { drained: 0, lost: 0, resends: 0 }, `${c.localAddress} on ${c.workerId} was disturbed`);
      await waitFor('the slot replaced', async () => (await status(cluster.frontUrl)).list.find((w) => w.id === victim.id && w.pid !== victim.pid && w.state === 'ready'));
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('kill -9 of a worker: its clients re-home to live workers, nobody else is disturbed, the slot comes back with its id', async () => {
    const clients = Array.from({ length: 36 }, (_, i) => new RehomingClient(cluster.frontUrl, clientAddress(600 + i), i % 3 === 0 ? ['polling'] : ['websocket']));
    try {
      await Promise.all(clients.map((c) => c.start()));
      const before = await status(cluster.frontUrl);
      const victim = before.list.find((w) => w.id === clients[0]!.workerId)!;
      const victims = clients.filter((c) => c.workerId === victim.id);
      const bystanders = clients.filter((c) => c.workerId !== victim.id);
      assert.ok(victims.length > 0 && bystanders.length > 0);
      for (const c of clients) assert.equal(c.workerId, pureRoute(ids, c.localAddress));

      const killedAt = Date.now();
      process.kill(victim.pid, 'SIGKILL');
      await waitFor('every client of the killed worker connected again', () => (victims.every((c) => c.connected && c.stats.lost > 0) ? true : undefined));
      const rehomeMs = Math.max(...victims.map((c) => c.connectedAt - killedAt));
      // On the pick among the rest, or on the slot's respawned process if it was back first.
      for (const c of victims) if (c.workerId !== victim.id) assert.equal(c.workerId, pureRoute(ids.filter((id) => id !== victim.id), c.localAddress), 'the pick among the rest');
      await Promise.all(clients.map(async (c, n) => assert.equal(await c.echo(`after kill ${n}`), `after kill ${n}`)));
      for (const c of bystanders) assert.deepEqual(c.stats, { drained: 0, lost: 0, resends: 0 }, `${c.localAddress} on ${c.workerId} was disturbed`);
      console.log(`single-port: re-homed ${victims.length} clients of ${victim.id} within ${rehomeMs} ms; ${bystanders.length} others undisturbed`);

      await waitFor('the slot to come back', async () => (await status(cluster.frontUrl)).list.find((w) => w.id === victim.id && w.pid !== victim.pid && w.state === 'ready'));
      // Back in routing: new connections of its addresses go to it again; the others never moved.
      for (const c of clients) assert.equal((await resolveEndpoint(cluster.frontUrl, c.localAddress)).workerId, pureRoute(ids, c.localAddress));
      await Promise.all(bystanders.map(async (c, n) => assert.equal(await c.echo(`after respawn ${n}`), `after respawn ${n}`)));
      for (const c of bystanders) assert.deepEqual(c.stats, { drained: 0, lost: 0, resends: 0 }, `${c.localAddress} on ${c.workerId} was disturbed by the respawn`);
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('single-port mode under a flood of connections that send nothing', () => {
  let cluster: RunningCluster;
  before(async () => {
    cluster = await startCluster({ args: ['--single-port'], env: { WORKERS: '2' } });
  });
  after(async () => {
    assert.equal(await cluster.stop(), 0);
  });

  test('3,000 silent connections from 12 addresses: the primary stays up with bounded memory, others are served meanwhile, the workers time the silent ones out', { timeout: 120_000 }, async (t) => {
    const primary = cluster.process.pid!;
    // A little traffic first, so the baseline is a warmed-up primary.
    const warm = await connectClient(cluster.frontUrl, clientAddress(900), { transports: ['websocket'] });
    warm.socket.close();
    const rssBefore = rssKiB(primary);
    const fdsBefore = fdCount(primary);

    const silent: Socket[] = [];
    const answers: Promise<string>[] = [];
    const opened = Date.now();
    for (let i = 0; i < 3000; i++) {
      // 12 source addresses (250 connections each), so both workers take a share.
      const socket = connect({ host: '127.0.0.1', port: cluster.frontPort, localAddress: clientAddress(1000 + (i % 12) * 250) });
      socket.on('error', () => {});
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (data += chunk));
      answers.push(new Promise((resolve) => socket.on('close', () => resolve(data))));
      silent.push(socket);
      if (i % 250 === 249) await new Promise((r) => setImmediate(r));
    }
    await waitFor('every silent connection to be open', () => (silent.every((s) => !s.connecting) ? true : undefined), 30_000);
    const openMs = Date.now() - opened;
    let rssPeak = rssKiB(primary);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKiB(primary))), 100);
    try {
      // While all 3,000 are open: a normal client connects and echoes, over polling and over WebSocket.
      for (const transport of ['polling', 'websocket'] as const) {
        const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(901), { transports: [transport] });
        assert.equal(endpoint.url, cluster.frontUrl);
        assert.equal(await socket.timeout(10_000).emitWithAck('echo', transport), transport);
        socket.close();
      }
      assert.equal(cluster.process.exitCode, null, 'the primary is alive');
      // The silent connections are in the workers, not in the primary: once handed over (the IPC
      // backlog of 3,000 takes a moment, longer on some Node lines), before the workers time them out.
      await waitUntil('the primary to hand every connection over', () => fdCount(primary) < fdsBefore + 50, 8000).catch(() => {});
      const fdsDuring = fdCount(primary);
      assert.ok(fdsDuring < fdsBefore + 50, `the primary holds ${fdsDuring} descriptors (before: ${fdsBefore})`);
      const inWorkers = cluster.workers.reduce((sum, w) => sum + fdCount(w.pid), 0);
      assert.ok(inWorkers >= 2500, `the workers hold ${inWorkers} descriptors`);

      // The workers close each after HEADERS_TIMEOUT_SECONDS (10 s): silent, so without a reply.
      const bodies = await Promise.race([
        Promise.all(answers),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('silent connections still open after 30 s')), 30_000)),
      ]);
      // Within the primary's bound (4,096 waiting), every one reached a worker and was closed there.
      const answered = bodies.filter((b) => b !== '');
      assert.equal(bodies.length, 3000);
      assert.deepEqual([...new Set(answered.map((b) => b.slice(0, 60)))], [], 'a connection that sent nothing is closed without a reply');
    } finally {
      clearInterval(sampler);
      for (const socket of silent) socket.destroy();
    }
    const growthMiB = (rssPeak - rssBefore) / 1024;
    t.diagnostic(`3,000 silent connections open in ${openMs} ms; primary RSS ${Math.round(rssBefore / 1024)} MiB before, peak +${growthMiB.toFixed(1)} MiB; descriptors ${fdsBefore} before, ${fdCount(primary)} after`);
    assert.ok(growthMiB < 80, `the primary's memory grew by ${growthMiB.toFixed(1)} MiB`);
    await waitFor('the primary\'s descriptors back to where they were', () => (fdCount(primary) <= fdsBefore + 2 ? true : undefined), 10_000);
    const { socket } = await connectClient(cluster.frontUrl, clientAddress(902));
    assert.equal(await socket.timeout(5000).emitWithAck('echo', 'after'), 'after');
    socket.close();
  });
});
