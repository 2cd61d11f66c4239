// The single-port benchmark at smoke size, so it never rots: single-port mode must be flawless and
// every system must answer; no timing thresholds (figures are for the report, not for a test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSinglePort, SINGLE_PORT_SYSTEMS, singlePortMarkdown } from './single-port.js';

test('single-port benchmark (smoke size): single-port flawless next to the default mode and @socket.io/sticky', { timeout: 180_000 }, async (t) => {
  const result = await runSinglePort({ wsClients: 10, pollingClients: 5, seconds: 1, runs: 1, connects: 20 });
  t.diagnostic(`\n${singlePortMarkdown(result)}`);
  const { dataPath, connect } = result;
  assert.deepEqual(dataPath.systems, SINGLE_PORT_SYSTEMS);
  assert.deepEqual([...dataPath.problems, ...connect.problems].filter((p) => p.startsWith('single') || p.startsWith('sioroute')), []);
  for (const transport of ['websocket', 'polling'] as const) {
    for (const name of SINGLE_PORT_SYSTEMS) {
      const figures = dataPath[transport].systems[name]!;
      assert.ok(figures.acks > 0, `${name} ${transport} acknowledged echoes`);
      if (name !== 'sticky') assert.equal(figures.errors, 0, `${name} ${transport}: ${figures.firstErrors.join('; ')}`);
    }
    // Single-port and the default mode hash the same addresses to the same workers.
    assert.deepEqual(dataPath[transport].systems.single!.splits, dataPath[transport].systems.sioroute!.splits);
    for (const peer of ['sioroute', 'sticky'] as const) assert.ok(Number.isFinite(dataPath[transport].vs[peer]!.throughput.median), `ratio against ${peer}`);
  }
  assert.equal(connect.bySystem.single!.failures, 0, connect.bySystem.single!.firstErrors.join('; '));
  assert.ok(connect.bySystem.sticky!.failures <= 4);
  for (const peer of ['sioroute', 'sticky'] as const) assert.ok(Number.isFinite(connect.vs[peer]!.median));
  assert.match(singlePortMarkdown(result), /\| sioroute single-port \(2 workers\) \|/);
});
