// Graceful drain and rolling restart of the real cluster, with clients that keep talking.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientAddress, httpGet } from '../testing/clients.js';
import { runCli, startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { RehomingClient } from '../testing/rehoming-client.js';
import { keepTalking } from '../testing/keep-talking.js';
import { isAlive, waitUntil } from '../testing/wait-for.js';

interface StatusJson {
  list: { id: string; pid: number; port: number; state: string; clients: number }[];
}

const status = async (cluster: RunningCluster) => (await httpGet(`${cluster.frontUrl}/status.json`)).json<StatusJson>().list;

describe('drain and rolling restart', () => {
  let cluster: RunningCluster;
  const clients: RehomingClient[] = [];
  before(async () => {
    // Long enough for a replacement to start on a loaded machine while the old process still drains.
    cluster = await startCluster({ env: { WORKERS: '3', DRAIN_SECONDS: '4' } });
    for (let i = 0; i < 150; i++) {
      const client = new RehomingClient(cluster.frontUrl, clientAddress(i), i % 5 === 0 ? ['polling'] : ['websocket']);
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.start()));
  });
  after(async () => {
    for (const client of clients) client.close();
    assert.equal(await cluster.stop(), 0);
  });

  test('SIGTERM to one worker drains it: its clients move, nobody else notices, the replacement starts first', async () => {
    const list = await status(cluster);
    const victim = list.find((w) => w.id === 'w1')!;
    const onVictim = clients.filter((c) => c.workerId === 'w1');
    const others = clients.filter((c) => c.workerId !== 'w1');
    assert.ok(onVictim.length > 0);
    const talk = keepTalking(clients);

    process.kill(victim.pid, 'SIGTERM');
    // The replacement is ready while the old process is still moving its clients away.
    await waitUntil('a ready replacement', async () => (await status(cluster)).some((w) => w.id === 'w1' && w.pid !== victim.pid && w.state === 'ready'));
    assert.ok(isAlive(victim.pid), 'the replacement was ready before the drained worker exited');
    await waitUntil('the drained worker to exit', () => !isAlive(victim.pid), 10_000);
    await waitUntil('every client connected', () => clients.every((c) => c.connected));
    await talk.stop();

    assert.equal(talk.counts.failed, 0);
    assert.equal(talk.counts.wrong, 0);
    assert.equal(talk.counts.acked, talk.counts.sent, 'every message was acknowledged');
    for (const c of onVictim) {
      assert.equal(c.stats.lost, 0, 'a drain is a move, not a loss');
      assert.equal(c.stats.drained, 1);
    }
    for (const c of others) assert.equal(c.stats.drained + c.stats.lost, 0, `${c.localAddress} was disturbed`);
  });

  test('`sioroute restart` replaces every worker one by one and no acknowledged message is lost', async () => {
    const before = await status(cluster);
    const talk = keepTalking(clients);
    const result = await runCli(['restart', '--port', String(cluster.frontPort)], {}, 90_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /rolling restart done/);
    const after = await status(cluster);
    for (const old of before) {
      const now = after.find((w) => w.id === old.id)!;
      assert.notEqual(now.pid, old.pid, `${old.id} was not replaced`);
      assert.equal(now.state, 'ready');
    }
    await waitUntil('every client connected', () => clients.every((c) => c.connected));
    await talk.stop();
    assert.equal(talk.counts.failed, 0);
    assert.equal(talk.counts.acked, talk.counts.sent, 'every message was acknowledged');
    assert.ok(talk.counts.sent > clients.length * 3, `clients kept talking (${talk.counts.sent} messages)`);
    const lost = clients.reduce((sum, c) => sum + c.stats.lost, 0);
    assert.equal(lost, 0, 'every move was a drain');
  });

  test('restart without a running sioroute, or with a pid file of another or no process, refuses with one line and signals nothing', async () => {
    const result = await runCli(['restart', '--port', '1']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^sioroute: no running sioroute found: no pid file .*sioroute-1\.pid\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'sioroute-pid-'));
    try {
      // This test process is alive and is not sioroute: it must not get a SIGHUP.
      let hangups = 0;
      const onHup = () => hangups++;
      process.on('SIGHUP', onHup);
      writeFileSync(join(dir, 'other.pid'), `${process.pid}\n`);
      const other = await runCli(['restart', '--pid-file', join(dir, 'other.pid')]);
      assert.equal(other.code, 2);
      assert.match(other.stderr, new RegExp(`^sioroute: the pid file .*other\\.pid names process ${process.pid}, which is not sioroute`));
      await new Promise((resolve) => setTimeout(resolve, 200));
      process.off('SIGHUP', onHup);
      assert.equal(hangups, 0);
      writeFileSync(join(dir, 'stale.pid'), '4194303\n');
      const stale = await runCli(['restart', '--pid-file', join(dir, 'stale.pid')]);
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /^sioroute: stale pid file .*stale\.pid: no process 4194303 is running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
