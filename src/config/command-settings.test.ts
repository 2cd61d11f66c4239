import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandIssues, workerIndexFrom } from './command-settings.js';
import { loadConfig, readRawSettings } from './load-config.js';

const SECRET = 's'.repeat(32);
const configOf = (env: Record<string, string>) => {
  const raw = readRawSettings(env, []);
  return { config: loadConfig(raw), sources: raw.sources };
};
const issuesOf = (command: 'start' | 'front' | 'worker', env: Record<string, string>) => {
  const { config, sources } = configOf(env);
  return commandIssues(command, config, sources).map((i) => `${i.setting}: ${i.expected}`);
};

test('separate services require ROUTING_SECRET; the embedded mode makes its own', () => {
  assert.deepEqual(issuesOf('start', {}), []);
  assert.match(issuesOf('worker', {})[0]!, /^ROUTING_SECRET: required by `sioroute worker`/);
  assert.match(issuesOf('front', { REDIS_URL: 'redis://r:6379' })[0]!, /^ROUTING_SECRET: required by `sioroute front`/);
  assert.deepEqual(issuesOf('worker', { ROUTING_SECRET: SECRET }), []);
});

test('a front needs exactly one membership source', () => {
  assert.match(issuesOf('front', { ROUTING_SECRET: SECRET })[0]!, /needs REDIS_URL .* or WORKER_URLS/);
  assert.deepEqual(issuesOf('front', { ROUTING_SECRET: SECRET, WORKER_URLS: 'http://10.0.0.2:3131' }), []);
  assert.deepEqual(issuesOf('front', { ROUTING_SECRET: SECRET, REDIS_URL: 'redis://r:6379' }), []);
  assert.match(issuesOf('front', { ROUTING_SECRET: SECRET, REDIS_URL: 'redis://r:6379', WORKER_URLS: 'http://a:1' })[0]!, /either REDIS_URL or WORKER_URLS, not both/);
});

test('settings of one command given to another are refused, not ignored', () => {
  assert.match(issuesOf('start', { WORKER_URLS: 'http://a:1' })[0]!, /only `sioroute front` reads WORKER_URLS/);
  assert.match(issuesOf('start', { WORKER_ID: 'a0' })[0]!, /only `sioroute worker` reads WORKER_ID/);
  assert.match(issuesOf('front', { ROUTING_SECRET: SECRET, WORKER_URLS: 'http://a:1', WORKER_INDEX: '2' })[0]!, /only `sioroute worker` reads WORKER_INDEX/);
  assert.match(issuesOf('worker', { ROUTING_SECRET: SECRET, SINGLE_PORT: 'true' })[0]!, /only `sioroute start` runs single-port mode/);
});

test('the worker index comes from WORKER_INDEX, else pm2\'s NODE_APP_INSTANCE, else 0', () => {
  assert.equal(workerIndexFrom(configOf({ WORKER_INDEX: '3' }).config, { NODE_APP_INSTANCE: '1' }), 3);
  assert.equal(workerIndexFrom(configOf({}).config, { NODE_APP_INSTANCE: '1' }), 1);
  assert.equal(workerIndexFrom(configOf({}).config, {}), 0);
  const issue = workerIndexFrom(configOf({}).config, { NODE_APP_INSTANCE: 'x' });
  assert.equal(typeof issue === 'object' && issue.setting, 'NODE_APP_INSTANCE');
});

test('new settings parse and refuse with what is expected', () => {
  assert.deepEqual(configOf({ WORKER_URLS: 'http://10.0.0.2:3131/, https://w.example.com' }).config.workerUrls, ['http://10.0.0.2:3131', 'https://w.example.com']);
  assert.equal(configOf({ WORKER_WEIGHT: '2.5' }).config.workerWeight, 2.5);
  for (const [env, value, expected] of [
    ['WORKER_URLS', 'ftp://a', /http\(s\) base URLs/],
    ['WORKER_URLS', 'nope', /not a URL/],
    ['WORKER_ID', 'a b', /1 to 64 characters/],
    ['WORKER_ID', 'a.b', /1 to 64 characters/],
    ['WORKER_WEIGHT', '0', /greater than 0/],
    ['WORKER_WEIGHT', '-1', /greater than 0/],
    ['WORKER_WEIGHT', '1e3', /greater than 0/],
    ['WORKER_INDEX', '-1', /integer from 0/],
  ] as const) {
    assert.throws(() => configOf({ [env]: value }), (error: Error) => error.message.startsWith(`invalid setting ${env}=${JSON.stringify(value)}: `) && expected.test(error.message), `${env}=${value}`);
  }
});
