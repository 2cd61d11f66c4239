import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, readRawSettings, redactedConfig, UsageError } from './load-config.js';
import { SETTINGS } from './settings.js';

const load = (env: Record<string, string>, args: string[] = []) => loadConfig(readRawSettings(env, args));

function issuesOf(env: Record<string, string>, args: string[] = []): string {
  try {
    load(env, args);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('defaults match the documented table', () => {
  const config = load({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.ok(config.workers >= 2);
  assert.equal(config.workerBasePort, 3131);
  assert.equal(config.workerPublicUrl, '{protocol}://{hostname}:{port}');
  assert.deepEqual(config.trustProxy, []);
  assert.equal(config.routingSecret, undefined);
  assert.equal(config.tokenTtlSeconds, 60);
  assert.deepEqual(config.allowedOrigins, []);
  assert.equal(config.redisUrl, undefined);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.ipv4Prefix, 32);
  assert.equal(config.ipv6Prefix, 64);
  assert.equal(config.singlePort, false);
  assert.deepEqual(config.metricsFrom, ['127.0.0.0/8', '::1']);
  assert.ok(Object.isFrozen(config));
});

test('environment values are parsed, and flags win over the environment', () => {
  const config = load(
    { PORT: '9000', WORKERS: '3', TRUST_PROXY: '127.0.0.1, 10.0.0.0/8', ALLOWED_ORIGINS: 'https://app.example.com/', LOG_LEVEL: 'WARN' },
    ['--port', '9100', '--worker-base-port=0', '--token-ttl-seconds', '5'],
  );
  assert.equal(config.port, 9100);
  assert.equal(config.workers, 3);
  assert.equal(config.workerBasePort, 0);
  assert.equal(config.tokenTtlSeconds, 5);
  assert.deepEqual(config.trustProxy, ['127.0.0.1', '10.0.0.0/8']);
  assert.deepEqual(config.allowedOrigins, ['https://app.example.com']);
  assert.equal(config.logLevel, 'warn');
  assert.deepEqual(load({ METRICS_FROM: '10.1.2.3, fd00::/8, loopback' }).metricsFrom, ['10.1.2.3', 'fd00::/8', 'loopback']);
  assert.deepEqual(load({}, ['--metrics-from', 'none']).metricsFrom, []);
});

test('a bad value names the setting, the value and what is expected', () => {
  assert.equal(issuesOf({ PORT: 'abc' }), 'invalid setting PORT="abc": expected an integer from 0 to 65535');
  assert.equal(issuesOf({}, ['--workers', '0']), 'invalid setting --workers="0": expected an integer from 1 to 256');
  assert.match(issuesOf({ TOKEN_TTL_SECONDS: '0' }), /TOKEN_TTL_SECONDS="0": expected an integer from 1/);
  assert.match(issuesOf({ TOKEN_TTL_SECONDS: '1.5' }), /TOKEN_TTL_SECONDS/);
  assert.match(issuesOf({ HOST: 'bad host!' }), /HOST="bad host!": expected an IP address or a host name/);
  assert.match(issuesOf({ TRUST_PROXY: '1.2.3.4/40' }), /TRUST_PROXY=.*"1.2.3.4\/40" is neither/);
  assert.match(issuesOf({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/);
  assert.equal(
    issuesOf({ METRICS_FROM: '10.0.0.0/8, prometheus' }),
    'invalid setting METRICS_FROM="10.0.0.0/8, prometheus": expected a comma-separated list of scraper addresses or CIDRs (or loopback, linklocal, uniquelocal); "prometheus" is neither',
  );
  assert.match(issuesOf({ ALLOWED_ORIGINS: '*' }), /ALLOWED_ORIGINS="\*": .*refused/);
  assert.match(issuesOf({ ALLOWED_ORIGINS: 'https://x.example/path' }), /origins only/);
  assert.match(issuesOf({ WORKER_PUBLIC_URL: 'http://x/{bogus}' }), /WORKER_PUBLIC_URL=.*placeholders/);
  assert.match(issuesOf({ REDIS_URL: 'http://localhost' }), /REDIS_URL=<redacted, 16 bytes>: expected a redis:\/\//);
  assert.match(issuesOf({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud": expected one of fatal, error/);
  assert.match(issuesOf({ IPV6_PREFIX: '129' }), /IPV6_PREFIX/);
  assert.match(issuesOf({ WORKER_BASE_PORT: '65535', WORKERS: '2' }), /WORKER_BASE_PORT="?65535"?: expected a base port/);
  assert.match(issuesOf({ PORT: '3132', WORKERS: '4' }), /PORT="?3132"?: expected a front port outside the worker ports 3131-3134/);
});

test('every problem is reported at once', () => {
  const message = issuesOf({ PORT: 'x', WORKERS: 'y' });
  assert.equal(message.split('\n').length, 2);
});

test('a short routing secret is refused and never echoed', () => {
  const message = issuesOf({ ROUTING_SECRET: 'hunter2' });
  assert.equal(message, 'invalid setting ROUTING_SECRET=<redacted, 7 bytes>: expected at least 32 bytes (e.g. the output of: openssl rand -hex 32)');
  assert.ok(!message.includes('hunter2'));
  const secret = 'x'.repeat(40);
  const config = load({ ROUTING_SECRET: secret });
  assert.equal(config.routingSecret, secret);
  assert.ok(!JSON.stringify(redactedConfig(config)).includes(secret));
});

test('positional arguments are handed back; an unknown option is a UsageError naming it', () => {
  assert.deepEqual(readRawSettings({}, ['start', '--port', '1']).rest, ['start']);
  assert.throws(() => readRawSettings({}, ['start', '--what']), (error: unknown) => error instanceof UsageError && /--what/.test(error.message));
  assert.throws(() => readRawSettings({}, ['--port']), (error: unknown) => error instanceof UsageError && /--port/.test(error.message));
  assert.deepEqual(readRawSettings({}, ['--listen', '9'], { listen: { type: 'string' } }).extras, { listen: '9' });
});

test('every setting has a distinct variable and flag', () => {
  assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length);
  assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length);
});

test('SINGLE_PORT: the bare flag is true and never takes the next argument; the variable and --flag=value parse booleans', () => {
  assert.equal(load({}, ['--single-port']).singlePort, true);
  const raw = readRawSettings({}, ['--single-port', 'start', '--port', '9000']);
  assert.deepEqual(raw.rest, ['start']);
  assert.equal(loadConfig(raw).singlePort, true);
  assert.equal(load({ SINGLE_PORT: 'true' }).singlePort, true);
  assert.equal(load({ SINGLE_PORT: 'yes' }).singlePort, true);
  assert.equal(load({ SINGLE_PORT: '0' }).singlePort, false);
  assert.equal(issuesOf({ SINGLE_PORT: 'maybe' }), 'invalid setting SINGLE_PORT="maybe": expected true or false');
  assert.throws(() => load({}, ['--single-port=sure']), (error: unknown) => error instanceof UsageError && error.message === 'invalid option --single-port: a switch takes no value (use the environment variable to turn it off)');
});

test('single-port mode: PORT may fall in the WORKER_BASE_PORT range (no worker listens), and WORKER_PUBLIC_URL names an origin without a path', () => {
  assert.match(issuesOf({ PORT: '3132', WORKERS: '4' }), /expected a front port outside the worker ports/);
  assert.equal(load({ PORT: '3132', WORKERS: '4', SINGLE_PORT: 'true' }).port, 3132);
  assert.match(issuesOf({ SINGLE_PORT: 'true', WORKER_PUBLIC_URL: 'https://rt.example.com/w/{index}' }), /WORKER_PUBLIC_URL="https:\/\/rt.example.com\/w\/\{index\}": expected an origin without a path in single-port mode/);
  assert.equal(load({ SINGLE_PORT: 'true', WORKER_PUBLIC_URL: 'https://example.com' }).workerPublicUrl, 'https://example.com');
  assert.equal(load({ WORKER_PUBLIC_URL: 'https://rt.example.com/w/{index}' }).singlePort, false, 'a path is fine in the default mode');
});
