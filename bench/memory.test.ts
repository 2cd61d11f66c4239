// The memory benchmark at smoke size, so it never rots: shapes, and that every connection opened.
// Byte figures are never asserted (a few hundred connections say little, and the machine is shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryMarkdown, runMemory, type SystemName } from './memory.js';

// One of each kind: a layer floor, bare socket.io with and without sioroute's lever, and the
// embedded cluster. The other rows run the same code with other options (the suite's time matters).
const SMOKE: SystemName[] = ['tcp', 'bare', 'bare-release', 'sioroute'];

test('memory (smoke size): one system of each kind measured at both steps, every connection opened', { timeout: 170_000 }, async (t) => {
  const result = await runMemory({ low: 100, high: 200, processes: 2, settleMs: 300, systems: SMOKE, log: (line) => t.diagnostic(line) });
  for (const line of memoryMarkdown(result).split('\n')) t.diagnostic(line);
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'the result is plain JSON');
  assert.deepEqual(result.systems.map((s) => s.name), SMOKE);
  assert.deepEqual(result.problems, []);
  for (const s of result.systems) {
    assert.equal(s.failed, 0, `${s.name}: no connection failed`);
    assert.equal(s.low.connections, 100, `${s.name}: low step`);
    assert.equal(s.high.connections, 200, `${s.name}: high step`);
    assert.ok(s.low.rssBytes > 0 && s.high.rssBytes > 0, `${s.name}: RSS read`);
    assert.ok(Number.isFinite(s.rssPerConnection));
    // Layer processes answer with their heap; sioroute's workers are read from /proc only.
    assert.equal(s.heapPerConnection === null, s.name.startsWith('sioroute'), `${s.name}: heap figure`);
  }
  const markdown = memoryMarkdown(result);
  assert.match(markdown, /sioroute ÷ bare socket\.io: \*\*[\d.]+x\*\*/);
  assert.match(markdown, /^Per layer: /m);
});
