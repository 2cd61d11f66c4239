// The front owns its port: it listens itself (exclusive), so the supervisor accepts no connection
// in the default mode, and a respawned front opens the same port again.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startCluster, type RunningCluster } from '../testing/cluster-process.js';
import { httpGet } from '../testing/clients.js';
import { waitFor } from '../testing/wait-for.js';

/** The pid whose descriptors hold the socket listening on this TCP port (from /proc), among `pids`. */
function listenerOf(port: number, pids: readonly number[]): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; st 0A is LISTEN; the inode is the tenth field.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9]!);
    }
  }
  return pids.find((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

let cluster: RunningCluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

test('the front process listens on PORT, not the supervisor; a respawned front listens there again', async () => {
  const supervisor = cluster.process.pid!;
  assert.equal(listenerOf(cluster.frontPort, [supervisor, cluster.frontPid]), cluster.frontPid);
  process.kill(cluster.frontPid, 'SIGKILL');
  const respawned = await waitFor('a new front', async () => {
    const entry = await cluster.waitForLog((e) => e.msg === 'front ready', 20_000);
    return entry.pid as number;
  });
  assert.notEqual(respawned, cluster.frontPid);
  assert.equal(listenerOf(cluster.frontPort, [supervisor, respawned]), respawned);
  assert.equal((await httpGet(`${cluster.frontUrl}/ws-endpoint`)).status, 200);
});
