// The fault run at smoke size, so it never rots. Its zero figures are hard requirements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportMarkdown, runFaults } from './faults.js';

test('fault run (smoke size): nobody else disturbed, no session dropped, no acknowledged emit lost', { timeout: 240_000 }, async (t) => {
  const report = await runFaults({ clients: 60, workers: 3, log: (line) => t.diagnostic(line) });
  t.diagnostic(`\n${reportMarkdown(report)}`);
  assert.ok(report.killedWorker.clients > 0);
  assert.equal(report.killedWorker.othersDisturbed, 0);
  assert.equal(report.frontKill.sessionsDropped, 0);
  assert.equal(report.rollingRestart.failed, 0);
  assert.equal(report.rollingRestart.acked, report.rollingRestart.sent);
  assert.equal(report.rollingRestart.lost, 0, 'every move in a rolling restart is a drain');
});
