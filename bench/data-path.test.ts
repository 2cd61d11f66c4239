// The data-path and connection benchmarks at smoke size, so they never rot: every system must start
// (nginx included: a missing nginx fails here, it is not skipped) and really answer echoes. No timing
// thresholds: on a shared machine the figures are for the report, not for a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectMarkdown } from './connect-markdown.js';
import { BEFORE, DEFAULT_ROWS, isOurs } from './connect-rows.js';
import { runConnect } from './connect.js';
import { DATA_PATH_SYSTEMS, dataPathMarkdown, runDataPath } from './data-path.js';
import { SYSTEMS } from './peers/servers.js';

// sioroute must be flawless. A peer's own occasional failure (@socket.io/sticky's polling relay
// drops a request now and then under load) is its figure for the report, not a broken benchmark;
// the peers must still work for most clients.
const isOursSystem = (name: string) => name === 'sioroute' || name === 'sioroute1';
const oursOnly = (problems: readonly string[]) => problems.filter((p) => p.startsWith('sioroute'));

test('data path (smoke size): the four systems and sioroute with one worker answer acknowledged echoes over WebSocket and polling', { timeout: 120_000 }, async (t) => {
  const result = await runDataPath({ wsClients: 10, pollingClients: 5, seconds: 1, runs: 1 });
  t.diagnostic(`\n${dataPathMarkdown(result)}`);
  assert.deepEqual(result.systems, [...DATA_PATH_SYSTEMS]);
  assert.deepEqual(oursOnly(result.problems), []);
  for (const transport of ['websocket', 'polling'] as const) {
    const figures = result[transport];
    assert.equal(figures.clients, transport === 'websocket' ? 10 : 5);
    for (const name of DATA_PATH_SYSTEMS) {
      const system = figures.systems[name];
      assert.ok(system, `${name} ${transport} has figures`);
      assert.ok(system.acks > 0, `${name} ${transport} acknowledged echoes`);
      if (isOursSystem(name)) assert.equal(system.errors, 0, `${name} ${transport} errors: ${system.firstErrors.join('; ')}`);
      assert.ok(system.p99Ms.median >= system.p50Ms.median);
      assert.ok(system.serverCpuUsPerAck.median > 0, `${name} ${transport}: the CPU of its processes was counted`);
      // Every client is accounted to a worker, e.g. "n0 5 / n1 5".
      const counted = system.splits[0]!.split(' / ').reduce((sum, part) => sum + Number(part.split(' ')[1]), 0);
      if (isOursSystem(name)) assert.equal(counted, figures.clients, `${name} ${transport} split ${system.splits[0]}`);
      // A peer's own failures are figures of the report (sticky's polling loses clients under load),
      // not this test's subject: at smoke size two lost of five would read as a broken benchmark.
      else assert.ok(counted > 0, `${name} ${transport} split ${system.splits[0]}`);
    }
    for (const peer of SYSTEMS.filter((n) => n !== 'sioroute')) assert.ok(Number.isFinite(figures.vs[peer]!.throughput.median), `ratio against ${peer}`);
    assert.ok(Number.isFinite(figures.perWorkerVsBare!.median));
    assert.ok(Number.isFinite(figures.oneWorkerVsBare!.throughput.median));
    assert.equal(figures.vs.sioroute1, undefined, 'one sioroute worker is compared with bare, not with sioroute');
  }
  assert.match(dataPathMarkdown(result), /sioroute \(1 worker\) ÷ bare/);
  assert.match(dataPathMarkdown(result), /can reach about/);
  // nginx ip_hash must spread the clients' /24 networks over both upstreams, or it measures one process.
  assert.equal(result.websocket.systems.nginx!.splits[0]!.split(' / ').length, 2);
});

test('connection setup (smoke size): every sioroute row connects all its clients with sioroute/client, and most clients of every peer', { timeout: 180_000 }, async (t) => {
  const result = await runConnect({ clients: 20, runs: 1 });
  const markdown = connectMarkdown(result);
  t.diagnostic(`\n${markdown}`);
  assert.deepEqual(result.rows, [...DEFAULT_ROWS]);
  assert.deepEqual(result.problems.filter((p) => !p.startsWith('nginx') && !p.startsWith('bare')), []);
  for (const name of DEFAULT_ROWS) {
    const figures = result.byRow[name]!;
    assert.ok(figures.failures <= (isOurs(name) ? 0 : 4), `${name}: ${figures.failures} failures: ${figures.firstErrors.join('; ')}`);
    assert.ok(figures.seconds.median > 0);
  }
  for (const name of DEFAULT_ROWS.filter(isOurs)) {
    for (const peer of ['nginx', 'bare'] as const) assert.ok(Number.isFinite(result.vs[name]![peer]!.median), `${name} against ${peer}`);
    if (name !== BEFORE) assert.ok(Number.isFinite(result.gain[name]!.median), `${name}: its gain`);
  }
  assert.match(markdown, /speed ÷ nginx \(target ≥ 1\.2x\)/);
  assert.match(markdown, /What each row does/);
});
