// The soak benchmark at smoke size, so it never rots: churn runs without errors and the probes
// answer. The growth targets are the full run's (npm run bench): a short run measures noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak, soakMarkdown } from './soak.js';

test('soak (smoke size): clients churn without errors; each worker is probed before and after', { timeout: 120_000 }, async (t) => {
  const result = await runSoak({ seconds: 8, alive: 60, warmupSeconds: 3, afterWaitMs: 2000, log: (line) => t.diagnostic(line) });
  t.diagnostic(`\n${soakMarkdown(result)}`);
  assert.equal(result.errors, 0);
  assert.ok(result.connections > 60, `${result.connections} connections`);
  assert.ok(result.echoes > 0 && result.broadcasts >= 0);
  assert.deepEqual(result.workers.map((w) => w.workerId), ['w0', 'w1']);
  for (const w of result.workers) {
    assert.ok(w.before.rssBytes > 0 && w.after.rssBytes > 0);
    assert.ok(w.after.openFiles <= w.before.openFiles + 2, `${w.workerId}: open files ${w.before.openFiles} -> ${w.after.openFiles}`);
  }
});
