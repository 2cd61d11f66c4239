// The whole embedded cluster as users run it (`sioroute start`), driven by real socket.io clients
// from distinct loopback source addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChatMessage, WsEndpoint } from '../protocol/wire.js';
import { signToken } from '../routing/token.js';
import { clientAddress, connectClient, connectTo, errorCode, httpGet, resolveEndpoint, type DemoSocket } from '../testing/clients.js';
import { startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { waitFor } from '../testing/wait-for.js';

const secret = 'cluster-test-secret-cluster-test-secret-0';


interface StatusJson {
  list: { id: string; pid: number; port: number; state: string; clients: number }[];
}

describe('embedded cluster, three workers', () => {
  let cluster: RunningCluster;
  const sockets: DemoSocket[] = [];
  before(async () => {
    cluster = await startCluster({ env: { WORKERS: '3', ROUTING_SECRET: secret } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    assert.equal(await cluster.stop(), 0, 'clean exit on SIGTERM');
  });

  test('polling-only sessions with many echoes all succeed, each on the worker the front named', async () => {
    const clients = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(i), { transports: ['polling'] });
        sockets.push(socket);
        return { socket, endpoint, address: clientAddress(i) };
      }),
    );
    await Promise.all(
      clients.map(async ({ socket, endpoint, address }) => {
        const me = await socket.timeout(10_000).emitWithAck('whoami');
        assert.equal(me.workerId, endpoint.workerId);
        assert.equal(me.address, address);
        for (let n = 0; n < 25; n++) assert.equal(await socket.timeout(10_000).emitWithAck('echo', `${address}#${n}`), `${address}#${n}`);
        assert.equal(socket.io.engine.transport.name, 'polling');
      }),
    );
    assert.equal(new Set(clients.map((c) => c.endpoint.workerId)).size, 3, 'clients spread over all workers');
  });

  test('the same address always gets the same worker; WebSocket clients land where the front said', async () => {
    for (let i = 30; i < 60; i++) {
      const first = await resolveEndpoint(cluster.frontUrl, clientAddress(i));
      const again = await resolveEndpoint(cluster.frontUrl, clientAddress(i));
      assert.equal(again.workerId, first.workerId);
    }
    const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(61), { transports: ['websocket'] });
    sockets.push(socket);
    assert.equal((await socket.timeout(5000).emitWithAck('whoami')).workerId, endpoint.workerId);
  });

  test('chat crosses workers', async () => {
    const byWorker = new Map<string, DemoSocket>();
    for (let i = 100; byWorker.size < 3 && i < 200; i++) {
      const endpoint = await resolveEndpoint(cluster.frontUrl, clientAddress(i));
      if (byWorker.has(endpoint.workerId)) continue;
      const socket = await connectTo(endpoint, { localAddress: clientAddress(i) });
      sockets.push(socket);
      byWorker.set(endpoint.workerId, socket);
    }
    assert.equal(byWorker.size, 3);
    const [a, b, c] = [...byWorker.values()];
    const heardByB = once(b as unknown as NodeJS.EventEmitter, 'chat:message');
    const heardByC = once(c as unknown as NodeJS.EventEmitter, 'chat:message');
    assert.deepEqual(await a!.timeout(5000).emitWithAck('chat:send', 'hello from a'), { ok: true });
    for (const heard of [heardByB, heardByC]) {
      const [message] = (await heard) as [ChatMessage];
      assert.equal(message.text, 'hello from a');
    }
  });

  test('each admission refusal has its code', async () => {
    const endpoint = await resolveEndpoint(cluster.frontUrl, clientAddress(70));
    const other = cluster.workers.find((w) => w.id !== endpoint.workerId)!;
    const refusal = (target: Pick<WsEndpoint, 'url' | 'path' | 'token'>, token: string | null) =>
      connectTo(target, { localAddress: clientAddress(70), token }).then(
        (s) => {
          s.close();
          return 'CONNECTED';
        },
        (e: unknown) => errorCode(e),
      );
    assert.equal(await refusal(endpoint, null), 'TOKEN_MISSING');
    assert.equal(await refusal(endpoint, `${endpoint.token.slice(0, -2)}xx`), 'TOKEN_INVALID');
    assert.equal(await refusal(endpoint, signToken({ workerId: endpoint.workerId, expiresAt: Date.now() - 1000 }, secret)), 'TOKEN_EXPIRED');
    // A valid token taken to another worker.
    assert.equal(await refusal({ ...endpoint, url: `http://127.0.0.1:${other.port}` }, endpoint.token), 'TOKEN_WRONG_WORKER');
    assert.equal(await refusal(endpoint, endpoint.token), 'CONNECTED');
  });

  test('killing the front drops no live session, and it comes back on the same port', async () => {
    const { socket } = await connectClient(cluster.frontUrl, clientAddress(80), { transports: ['websocket'] });
    sockets.push(socket);
    let disconnects = 0;
    socket.on('disconnect', () => disconnects++);
    const before = await resolveEndpoint(cluster.frontUrl, clientAddress(81));
    const respawned = cluster.waitForLog((e) => e.msg === 'front ready' && e.pid !== cluster.frontPid);
    process.kill(cluster.frontPid, 'SIGKILL');
    for (let n = 0; n < 10; n++) assert.equal(await socket.timeout(5000).emitWithAck('echo', n), n);
    const entry = await respawned;
    assert.equal(entry.port, cluster.frontPort);
    const answer = await waitFor('the front answering again', async () => {
      const r = await httpGet(`${cluster.frontUrl}/ws-endpoint`, { localAddress: clientAddress(81) }).catch(() => undefined);
      return r?.status === 200 ? r.json<WsEndpoint>() : undefined;
    });
    assert.equal(answer.workerId, before.workerId, 'same answer for the same address after the restart');
    assert.equal(disconnects, 0);
    assert.ok(socket.connected);
  });

  test('a killed worker\'s clients re-home while every other client stays connected; the slot comes back with its id', async () => {
    const clients: { socket: DemoSocket; endpoint: WsEndpoint; address: string; disconnects: number }[] = [];
    for (let i = 300; i < 330; i++) {
      const { socket, endpoint } = await connectClient(cluster.frontUrl, clientAddress(i), { transports: ['websocket'] });
      const client = { socket, endpoint, address: clientAddress(i), disconnects: 0 };
      socket.on('disconnect', () => client.disconnects++);
      clients.push(client);
    }
    const status = (await httpGet(`${cluster.frontUrl}/status.json`)).json<StatusJson>();
    const victim = status.list.find((w) => w.id === clients[0]!.endpoint.workerId)!;
    const victims = clients.filter((c) => c.endpoint.workerId === victim.id);
    const bystanders = clients.filter((c) => c.endpoint.workerId !== victim.id);
    assert.ok(victims.length > 0 && bystanders.length > 0);

    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    // What a client does on loss: re-resolve, avoiding the worker it lost, and connect there.
    const rehomeMs = await Promise.all(
      victims.map(async (client) => {
        if (client.socket.connected) await once(client.socket as unknown as NodeJS.EventEmitter, 'disconnect');
        client.socket.close();
        const endpoint = await resolveEndpoint(cluster.frontUrl, client.address, victim.id);
        assert.notEqual(endpoint.workerId, victim.id);
        const socket = await connectTo(endpoint, { localAddress: client.address });
        assert.equal(await socket.timeout(5000).emitWithAck('echo', 'back'), 'back');
        socket.close();
        return Date.now() - killedAt;
      }),
    );
    for (const client of bystanders) {
      assert.equal(await client.socket.timeout(5000).emitWithAck('echo', 'ok'), 'ok');
      assert.equal(client.disconnects, 0, `${client.address} on ${client.endpoint.workerId} was disturbed`);
    }
    rehomeMs.sort((a, b) => a - b);
    console.log(`re-homed ${victims.length} clients of ${victim.id}: max ${rehomeMs.at(-1)} ms`);

    const back = await waitFor('the slot to come back', async () => {
      const list = (await httpGet(`${cluster.frontUrl}/status.json`)).json<StatusJson>().list;
      const slot = list.find((w) => w.id === victim.id && w.pid !== victim.pid && w.state === 'ready');
      return slot;
    });
    assert.equal(back.id, victim.id);
    // Routing answers are the same again once it is back.
    for (const client of clients) assert.equal((await resolveEndpoint(cluster.frontUrl, client.address)).workerId, client.endpoint.workerId);
    for (const client of clients) client.socket.close();
  });
});
