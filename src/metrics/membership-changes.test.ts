import { test } from 'node:test';
import assert from 'node:assert/strict';
import { membershipChanges } from './membership-changes.js';

const w = (id: string, pid: number, state: 'ready' | 'draining' | 'unhealthy' = 'ready') => ({ id, pid, state });

test('joins, leaves, state changes and replaced processes', () => {
  assert.deepEqual(membershipChanges([], [w('w0', 1), w('w1', 2)]), { joined: 2, left: 0, state: 0 });
  assert.deepEqual(membershipChanges([w('w0', 1), w('w1', 2)], [w('w0', 1), w('w1', 2)]), { joined: 0, left: 0, state: 0 });
  assert.deepEqual(membershipChanges([w('w0', 1), w('w1', 2)], [w('w0', 1, 'draining'), w('w1', 2)]), { joined: 0, left: 0, state: 1 });
  assert.deepEqual(membershipChanges([w('w0', 1), w('w1', 2)], [w('w1', 2)]), { joined: 0, left: 1, state: 0 });
  // A respawned or replaced slot: the old process left, a new one joined (its state may differ too).
  assert.deepEqual(membershipChanges([w('w0', 1, 'draining'), w('w1', 2)], [w('w0', 3), w('w1', 2)]), { joined: 1, left: 1, state: 0 });
});
