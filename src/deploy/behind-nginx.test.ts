// sioroute behind Debian's nginx on one public port, configured by `sioroute nginx-config` (the real
// CLI) for this test's ports: clients from distinct loopback addresses resolve through nginx, connect
// through /w/N/, and land on the worker the hash picks for their own address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import type { ChatMessage, WsEndpoint } from '../protocol/wire.js';
import { startBehindNginx, type BehindNginx } from '../testing/behind-nginx.js';
import { clientAddress, connectTo, errorCode, httpGet, resolveEndpoint, type DemoSocket } from '../testing/clients.js';
import { RehomingClient } from '../testing/rehoming-client.js';
import { keepTalking } from '../testing/keep-talking.js';
import { isAlive, waitUntil } from '../testing/wait-for.js';
import { pureRoute } from '../routing/test-keys.js';

const WORKERS = 3;

interface StatusJson {
  list: { id: string; pid: number; state: string }[];
}

/** A raw request through nginx; resolves with the status and body, or the upgrade if one happens. */
function rawRequest(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; upgraded: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, upgraded: false }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', upgraded: true });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${url} answered nothing within 10 s`)));
    req.end();
  });
}

describe('behind nginx: one public port, /w/N/ routed by path', () => {
  let site: BehindNginx;
  const sockets: DemoSocket[] = [];
  const expectedWorker = (address: string) => pureRoute(site.cluster.workers.map((w) => w.id), address);
  const status = async () => (await httpGet(`${site.cluster.frontUrl}/status.json`)).json<StatusJson>().list;
  const pidOf = async (workerId: string) => (await status()).find((w) => w.id === workerId)!.pid;

  before(async () => {
    site = await startBehindNginx({ workers: WORKERS, env: { DRAIN_SECONDS: '6' } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    assert.equal(await site?.stop(), 0, 'clean exit on SIGTERM');
  });

  test('the page through nginx embeds a /w/N/ endpoint on nginx\'s origin, and its CSP allows that origin', async () => {
    const page = await httpGet(`${site.nginx.url}/`, { localAddress: clientAddress(0) });
    assert.equal(page.status, 200);
    const json = /<script id="ws-endpoint" type="application\/json">([^<]*)<\/script>/.exec(page.body)?.[1];
    const endpoint = JSON.parse(json ?? 'null') as WsEndpoint;
    assert.equal(endpoint.workerId, expectedWorker(clientAddress(0)));
    assert.equal(endpoint.url, site.nginx.url);
    assert.equal(endpoint.path, `/w/${endpoint.workerId.slice(1)}/socket.io`);
    const connectSrc = String(page.headers['content-security-policy']).split(';').find((d) => d.trim().startsWith('connect-src')) ?? '';
    for (const source of [site.nginx.url, site.nginx.url.replace('http:', 'ws:')]) assert.ok(connectSrc.split(' ').includes(source), `${source} in ${connectSrc}`);
  });

  test('each /w/N/ reaches worker N with the prefix stripped', async () => {
    for (const worker of site.cluster.workers) {
      const index = worker.id.slice(1);
      const health = await httpGet(`${site.nginx.url}/w/${index}/healthz`);
      assert.equal(health.status, 200, health.body);
      assert.equal(health.json<{ workerId: string }>().workerId, worker.id);
    }
  });

  test('polling-only and WebSocket clients from distinct addresses land on the worker hashed from their own address', async () => {
    const clients = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const address = clientAddress(10 + i);
        const transports: ('polling' | 'websocket')[] = i % 2 === 0 ? ['polling'] : ['websocket'];
        const endpoint = await resolveEndpoint(site.nginx.url, address);
        const socket = await connectTo(endpoint, { localAddress: address, transports });
        sockets.push(socket);
        return { address, endpoint, socket, transport: transports[0] };
      }),
    );
    await Promise.all(
      clients.map(async ({ address, endpoint, socket, transport }) => {
        const expected = expectedWorker(address);
        assert.equal(endpoint.workerId, expected, `${address}: the front believed nginx's X-Forwarded-For`);
        assert.equal(endpoint.url, site.nginx.url);
        assert.equal(endpoint.path, `/w/${expected.slice(1)}/socket.io`);
        const me = await socket.timeout(10_000).emitWithAck('whoami');
        assert.equal(me.workerId, expected, `${address} is served by ${me.workerId}`);
        assert.equal(me.pid, await pidOf(expected));
        assert.equal(me.address, '127.0.0.1', 'the worker sees nginx as its peer');
        for (let n = 0; n < 10; n++) assert.equal(await socket.timeout(10_000).emitWithAck('echo', `${address}#${n}`), `${address}#${n}`);
        assert.equal(socket.io.engine.transport.name, transport);
      }),
    );
    assert.equal(new Set(clients.map((c) => c.endpoint.workerId)).size, WORKERS, 'clients spread over every worker');
  });

  test('what a client writes in its own X-Forwarded-For is not believed: nginx appends the real address', async () => {
    for (let i = 40; i < 50; i++) {
      const address = clientAddress(i);
      const answer = await httpGet(`${site.nginx.url}/ws-endpoint`, { localAddress: address, headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(answer.json<WsEndpoint>().workerId, expectedWorker(address));
    }
  });

  test('chat crosses workers', async () => {
    const byWorker = new Map<string, DemoSocket>();
    for (let i = 60; byWorker.size < WORKERS && i < 120; i++) {
      const endpoint = await resolveEndpoint(site.nginx.url, clientAddress(i));
      if (byWorker.has(endpoint.workerId)) continue;
      const socket = await connectTo(endpoint, { localAddress: clientAddress(i), transports: i % 2 === 0 ? ['polling'] : ['websocket'] });
      sockets.push(socket);
      byWorker.set(endpoint.workerId, socket);
    }
    assert.equal(byWorker.size, WORKERS);
    const [sender, ...others] = [...byWorker.values()];
    const heard = others.map((s) => once(s as unknown as NodeJS.EventEmitter, 'chat:message'));
    assert.deepEqual(await sender!.timeout(5000).emitWithAck('chat:send', 'hello through nginx'), { ok: true });
    for (const message of heard) assert.equal(((await message) as [ChatMessage])[0].text, 'hello through nginx');
  });

  test('workers accept the page\'s own origin through nginx without ALLOWED_ORIGINS, and refuse others', async () => {
    const address = clientAddress(130);
    for (const transports of [['polling'], ['websocket']] as const) {
      const endpoint = await resolveEndpoint(site.nginx.url, address);
      const socket = await connectTo(endpoint, { localAddress: address, transports: [...transports], extraHeaders: { origin: site.nginx.url } });
      assert.equal((await socket.timeout(5000).emitWithAck('whoami')).workerId, expectedWorker(address));
      socket.close();
      const refused = await connectTo(endpoint, { localAddress: address, transports: [...transports], extraHeaders: { origin: 'http://evil.example' } }).then(
        (s) => (s.close(), 'CONNECTED'),
        () => 'REFUSED',
      );
      assert.equal(refused, 'REFUSED', `${transports[0]} from another origin`);
    }
  });

  test('a token taken to another worker\'s /w/N/ path is refused there', async () => {
    const endpoint = await resolveEndpoint(site.nginx.url, clientAddress(140));
    const other = site.cluster.workers.find((w) => w.id !== endpoint.workerId)!;
    const code = await connectTo({ ...endpoint, path: `/w/${other.id.slice(1)}/socket.io` }, { localAddress: clientAddress(140) }).then(
      (s) => (s.close(), 'CONNECTED'),
      (e: unknown) => errorCode(e),
    );
    assert.equal(code, 'TOKEN_WRONG_WORKER');
  });

  test('a /w/ path that names no worker gets a clean JSON 404 from nginx, polling or WebSocket', async () => {
    const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const paths = ['/w/99/socket.io/?EIO=4&transport=polling', `/w/${WORKERS}/socket.io/?EIO=4&transport=polling`, '/w/abc/socket.io/?EIO=4&transport=polling', '/w/-1/', '/w/', '/w/01/'];
    for (const path of paths) {
      for (const headers of [{}, upgrade]) {
        const answer = await rawRequest(`${site.nginx.url}${path}`, headers);
        assert.equal(answer.upgraded, false, path);
        assert.equal(answer.status, 404, `${path}: ${answer.body}`);
        assert.deepEqual(JSON.parse(answer.body), { statusCode: 404, code: 'NOT_FOUND', error: 'NOT_FOUND', message: 'no such worker' }, path);
      }
    }
  });

  test('nginx logged no error while serving all of the above', () => {
    assert.doesNotMatch(site.nginx.errors(), /\[(error|crit|alert|emerg)\]/);
  });

  test('a drained worker\'s clients move with a notice, and new polling sessions of its replacement on the same /w/N/ are not sent to it', async () => {
    const clients: RehomingClient[] = [];
    let talk: ReturnType<typeof keepTalking> | undefined;
    try {
      for (let i = 300; i < 345; i++) clients.push(new RehomingClient(site.nginx.url, clientAddress(i), i % 3 === 0 ? ['polling'] : ['websocket']));
      await Promise.all(clients.map((c) => c.start()));
      const victim = clients.find((c) => c.transports[0] === 'polling')!.workerId!;
      const victimPid = await pidOf(victim);
      const onVictim = clients.filter((c) => c.workerId === victim);
      const others = clients.filter((c) => c.workerId !== victim);
      assert.ok(onVictim.some((c) => c.transports[0] === 'polling') && onVictim.some((c) => c.transports[0] === 'websocket'));
      talk = keepTalking(clients);

      // Addresses the front will send to the victim's slot once its replacement is ready.
      const freshAddresses: string[] = [];
      for (let i = 400; freshAddresses.length < 6 && i < 600; i++) if (expectedWorker(clientAddress(i)) === victim) freshAddresses.push(clientAddress(i));

      process.kill(victimPid, 'SIGTERM');
      await waitUntil('a ready replacement', async () => (await status()).some((w) => w.id === victim && w.pid !== victimPid && w.state === 'ready'));
      // While the old process still moves its WebSocket clients (over DRAIN_SECONDS), new polling
      // sessions start on the replacement, behind the same /w/N/ and the same nginx upstream. Plain
      // socket.io clients, so that any refused request shows: a failed connect, poll or emit.
      const fresh = await Promise.all(
        freshAddresses.map(async (address) => {
          const endpoint = await resolveEndpoint(site.nginx.url, address);
          assert.equal(endpoint.workerId, victim, 'the replacement is back in routing');
          const socket = await connectTo(endpoint, { localAddress: address, transports: ['polling'] });
          sockets.push(socket);
          return socket;
        }),
      );
      assert.ok(isAlive(victimPid), 'the drained worker was still moving its clients while the replacement took new sessions');
      const freshCounts = { sent: 0, acked: 0, disconnects: 0 };
      for (const socket of fresh) socket.on('disconnect', () => freshCounts.disconnects++);
      await Promise.all(
        fresh.map(async (socket, i) => {
          for (let n = 0; n < 20; n++) {
            freshCounts.sent++;
            if ((await socket.timeout(5000).emitWithAck('echo', `${i}:${n}`).catch(() => undefined)) === `${i}:${n}`) freshCounts.acked++;
            await new Promise((r) => setTimeout(r, 20));
          }
        }),
      );
      await waitUntil('the drained worker to exit', () => !isAlive(victimPid), 20_000);
      await waitUntil('every client connected', () => clients.every((c) => c.connected));
      await talk.stop();

      assert.deepEqual(freshCounts, { sent: fresh.length * 20, acked: fresh.length * 20, disconnects: 0 }, 'the replacement\'s sessions lost nothing');
      assert.equal(talk.counts.failed, 0);
      assert.equal(talk.counts.acked, talk.counts.sent, 'every message was acknowledged');
      for (const c of onVictim) assert.deepEqual([c.stats.drained, c.stats.lost], [1, 0], `${c.localAddress} (${c.transports[0]}): a drain is one move, not a loss`);
      for (const c of others) assert.deepEqual([c.stats.drained, c.stats.lost], [0, 0], `${c.localAddress} (${c.transports[0]}) was disturbed`);
    } finally {
      await talk?.stop();
      for (const c of clients) c.close();
    }
  });

  test('when a worker dies, nginx closes its clients\' connections at once, and they re-home through nginx', async () => {
    const clients: { address: string; socket: DemoSocket; endpoint: WsEndpoint; lost: Promise<unknown> }[] = [];
    for (let i = 200; i < 212; i++) {
      const address = clientAddress(i);
      const endpoint = await resolveEndpoint(site.nginx.url, address);
      const socket = await connectTo(endpoint, { localAddress: address, transports: i % 2 === 0 ? ['polling'] : ['websocket'] });
      sockets.push(socket);
      clients.push({ address, socket, endpoint, lost: once(socket as unknown as NodeJS.EventEmitter, 'disconnect') });
    }
    const victim = clients[0]!.endpoint.workerId;
    const victims = clients.filter((c) => c.endpoint.workerId === victim);
    process.kill(await pidOf(victim), 'SIGKILL');
    // socket.io alone would notice a silent peer only after its ping interval and timeout (45 s).
    const lostInTime = await Promise.race([
      Promise.all(victims.map((c) => c.lost)).then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000).unref()),
    ]);
    assert.ok(lostInTime, `${victim}'s clients saw their connection close through nginx`);
    for (const { address, socket } of victims) {
      const endpoint = await resolveEndpoint(site.nginx.url, address, victim);
      assert.notEqual(endpoint.workerId, victim);
      const moved = await connectTo(endpoint, { localAddress: address, transports: [socket.io.opts.transports![0] as 'polling' | 'websocket'] });
      sockets.push(moved);
      assert.equal((await moved.timeout(5000).emitWithAck('whoami')).workerId, endpoint.workerId);
    }
    for (const bystander of clients.filter((c) => c.endpoint.workerId !== victim)) assert.ok(bystander.socket.connected, `${bystander.address} stayed connected`);
  });
});
