import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, drawTime, rankAt } from './bucket-draw.js';
import { buildOwners, carryOwners, emptyOf, membersOf, winnerAt, type Members } from './bucket-table.js';

const idsOf = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);

/** The definition, spelled out: the lowest draw time wins; equal times never happen in these sets. */
function reference(m: Members, bucket: number): number {
  let best = -1;
  let bestTime = Infinity;
  m.ids.forEach((_, w) => {
    const time = drawTime(rankAt(m.keys, w, bucket), m.weights[w]!);
    if (time < bestTime) {
      best = w;
      bestTime = time;
    }
  });
  return best;
}

test('scoring one bucket finds the lowest draw time, with one weight or several', () => {
  for (const m of [membersOf(idsOf(40), new Array(40).fill(1)), membersOf(idsOf(40), idsOf(40).map((_, i) => 1 + (i % 3)))]) {
    for (let b = 0; b < BUCKETS; b += 257) assert.equal(winnerAt(m, b), reference(m, b), `bucket ${b}`);
  }
});

for (const [label, n, weightOf] of [
  ['40 workers, one weight', 40, () => 1],
  ['40 workers, weights 1, 2 and 3', 40, (i: number) => 1 + (i % 3)],
  ['1,000 workers, one weight', 1000, () => 1],
  ['1,000 workers, weights 1 and 2.5', 1000, (i: number) => (i % 2 === 0 ? 1 : 2.5)],
] as const) {
  test(`a build gives every bucket the winner that scoring it gives (${label})`, () => {
    const m = membersOf(idsOf(n), idsOf(n).map((_, i) => weightOf(i)));
    const owner = buildOwners(m);
    // Every bucket at 40 workers; at 1,000, every 7th (scoring all would take 2^20 x 1,000 draws).
    const step = n > 100 ? 7 : 1;
    let wrong = 0;
    for (let b = 0; b < BUCKETS; b += step) if (owner[b] !== winnerAt(m, b)) wrong++;
    assert.equal(wrong, 0, `${wrong} buckets differ`);
  });
}

test('carrying owners over a change: unknown stays unknown, leavers\' buckets become unknown, joiners take what they win', () => {
  const before = membersOf(idsOf(60), new Array(60).fill(1));
  const owner = buildOwners(before);
  owner.fill(emptyOf(owner), 0, 1000); // as if those buckets were never asked for
  const nextIds = [...idsOf(60).filter((id) => id !== 'w7'), 'w60', 'w61'];
  const next = membersOf(nextIds, new Array(nextIds.length).fill(1));
  const carried = carryOwners(before, owner, next, 8)!;
  const empty = emptyOf(carried);
  let unknown = 0;
  for (let b = 0; b < BUCKETS; b++) {
    if (carried[b] === empty) {
      unknown++;
      assert.ok(b < 1000 || owner[b] === 7, `bucket ${b} unknown`);
    } else {
      assert.equal(carried[b], winnerAt(next, b), `bucket ${b}`);
    }
  }
  assert.ok(unknown > 1000, 'the leaver\'s buckets are unknown');
  assert.equal(carryOwners(before, owner, membersOf([...idsOf(60), ...idsOf(70).slice(60)], new Array(70).fill(1)), 8), undefined, '10 joiners: build afresh');
});
