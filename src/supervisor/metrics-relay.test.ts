import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRelay, type RelayChild } from './metrics-relay.js';
import type { MetricsJson } from '../metrics/cluster-scrape.js';

const part = (name: string) => [{ name, help: name, type: 'gauge', aggregator: 'sum', values: [] }] as unknown as MetricsJson;

function children(asked: number[], reachable = [true, true, true]): RelayChild[] {
  return reachable.map((ok, key) => ({ key, name: `w${key}`, ask: (id: number) => (ok ? (asked.push(id), true) : false) }));
}

test('answers once every worker sent its part', () => {
  const relay = new MetricsRelay(60_000);
  const asked: number[] = [];
  const answers: [string[], string[]][] = [];
  relay.collect(children(asked), (parts, unanswered) => answers.push([parts.map((p) => p[0]!.name), unanswered]));
  assert.equal(asked.length, 3);
  relay.onPart(0, asked[0]!, part('a'));
  relay.onPart(0, asked[0]!, part('again'));
  relay.onPart(2, asked[0]!, part('c'));
  assert.equal(answers.length, 0);
  relay.onPart(1, asked[0]!, part('b'));
  assert.deepEqual(answers, [[['a', 'c', 'b'], []]]);
  // Late or unknown parts are dropped.
  relay.onPart(1, asked[0]!, part('late'));
  relay.onPart(1, 999, part('unknown'));
  assert.equal(answers.length, 1);
});

test('a silent worker is named after the timeout, an unreachable one at once', async () => {
  const relay = new MetricsRelay(50);
  const asked: number[] = [];
  const answered = new Promise<[number, string[]]>((resolve) => relay.collect(children(asked, [true, false, true]), (parts, unanswered) => resolve([parts.length, unanswered])));
  relay.onPart(0, asked[0]!, part('a'));
  assert.deepEqual(await answered, [1, ['w1', 'w2']]);
});

test('no workers: answered at once; stop() finishes what is pending', () => {
  const relay = new MetricsRelay(60_000);
  const answers: string[][] = [];
  relay.collect([], (_parts, unanswered) => answers.push(unanswered));
  assert.equal(answers.length, 1);
  assert.deepEqual(answers[0], []);
  const asked: number[] = [];
  relay.collect(children(asked), (_parts, unanswered) => answers.push(unanswered));
  relay.stop();
  assert.deepEqual(answers[1], ['w0', 'w1', 'w2']);
});
