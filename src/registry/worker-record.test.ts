import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeRead } from './redis-membership-watch.js';
import { parseWorkerRecord, workerInfoFromRecord, type WorkerRecord } from './worker-record.js';

const record: WorkerRecord = {
  id: 'a0', index: 0, port: 3131, publicUrl: 'http://10.0.0.2:3131', weight: 2, state: 'ready',
  clients: 5, pid: 42, startedAt: 1_700_000_000_000, instance: 'abc',
};

test('a record survives the round trip through JSON; anything malformed or out of range is refused', () => {
  assert.deepEqual(parseWorkerRecord(JSON.stringify(record)), record);
  assert.deepEqual(parseWorkerRecord(JSON.stringify({ ...record, publicUrl: '{protocol}://{hostname}:3131' }))?.publicUrl, '{protocol}://{hostname}:3131');
  const bad: unknown[] = [
    null, '', 'not json', '[]', '{}',
    { ...record, id: 'has space' }, { ...record, id: '../x' }, { ...record, port: 70000 }, { ...record, weight: 0 },
    { ...record, weight: Number.NaN }, { ...record, state: 'starting' }, { ...record, clients: -1 }, { ...record, publicUrl: 'ftp://x' },
    { ...record, publicUrl: 'http://x/{nope}' }, { ...record, instance: '' }, { ...record, index: 1.5 },
  ];
  for (const value of bad) assert.equal(parseWorkerRecord(typeof value === 'string' || value === null ? value : JSON.stringify(value)), undefined, JSON.stringify(value));
  assert.equal(parseWorkerRecord('x'.repeat(5000)), undefined);
});

test('a read replaces the membership, except that workers missing from it stay while removals are not trusted', () => {
  const previous = [workerInfoFromRecord(record, 1), workerInfoFromRecord({ ...record, id: 'b0' }, 1)];
  const read = [{ ...record, clients: 9 }, { ...record, id: 'c0' }];
  const trusted = mergeRead(previous, read, true, 5);
  assert.deepEqual(trusted.map((w) => w.id).sort(), ['a0', 'c0']);
  assert.equal(trusted.find((w) => w.id === 'a0')!.clients, 9);
  assert.equal(trusted.find((w) => w.id === 'a0')!.lastSeenAt, 5);
  const kept = mergeRead(previous, read, false, 5);
  assert.deepEqual(kept.map((w) => w.id).sort(), ['a0', 'b0', 'c0']);
  assert.equal(kept.find((w) => w.id === 'b0')!.lastSeenAt, 1, 'a kept worker is not refreshed');
});
