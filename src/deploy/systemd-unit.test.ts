// renderSystemdUnit: the unit's directives, read back with systemd's quoting rules, agree with the
// settings (the Environment= lines load into the same Config through the CLI's own loader), stop
// after a drain, keep secrets out and refuse bad options by name. systemd-analyze checks the syntax
// where it is installed; nothing is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { commandIssues } from '../config/command-settings.js';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import { SETTINGS, type Config } from '../config/settings.js';
import { DeployOptionError } from './deploy-option-error.js';
import { renderSystemdUnit, type SystemdUnitOptions } from './systemd-unit.js';

type Unit = Record<string, Record<string, string[]>>;

/** Sections and directives of a unit file (every value of a repeated directive, in order). */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]!] = {};
      continue;
    }
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(match && section, `a directive inside a section: ${line}`);
    (section[match[1]!] ??= []).push(match[2]!);
  }
  return unit;
}

/** Environment= values as systemd reads them: one quoted assignment, C escapes, %% for %. */
function environment(unit: Unit): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of unit.Service?.Environment ?? []) {
    const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(raw)?.[1];
    assert.ok(quoted !== undefined, `one quoted assignment: ${raw}`);
    assert.doesNotMatch(quoted.replace(/%%/g, ''), /%/, 'no % specifier left for systemd to expand');
    const text = quoted.replace(/\\(.)/g, '$1').replace(/%%/g, '%');
    const eq = text.indexOf('=');
    env[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return env;
}

function render(env: Record<string, string>, options?: SystemdUnitOptions) {
  const config = loadConfig(readRawSettings(env, []));
  const text = renderSystemdUnit(config, options);
  return { config, text, unit: parseUnit(text) };
}

const one = (unit: Unit, section: string, key: string) => {
  const values = unit[section]?.[key];
  assert.equal(values?.length, 1, `${section}.${key} once`);
  return values[0]!;
};

test('start, reload, stop and restart: the supervisor drains within TimeoutStopSec, as a non-root user', () => {
  const { config, unit } = render({ DRAIN_SECONDS: '40' });
  assert.equal(one(unit, 'Service', 'ExecStart'), '/usr/local/bin/sioroute start');
  assert.equal(one(unit, 'Service', 'ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(one(unit, 'Service', 'KillMode'), 'mixed');
  assert.equal(one(unit, 'Service', 'KillSignal'), 'SIGTERM');
  assert.ok(Number(one(unit, 'Service', 'TimeoutStopSec')) >= config.drainSeconds + 5);
  assert.equal(one(unit, 'Service', 'Restart'), 'on-failure');
  assert.equal(one(unit, 'Service', 'RestartPreventExitStatus'), '2', 'a bad setting is not retried');
  assert.equal(one(unit, 'Service', 'User'), 'sioroute');
  assert.equal(one(unit, 'Install', 'WantedBy'), 'multi-user.target');
  const env = environment(unit);
  assert.equal(env.DRAIN_SECONDS, '40');
  assert.equal(dirname(env.PID_FILE!), `/run/${one(unit, 'Service', 'RuntimeDirectory')}`);
  assert.equal(one(unit, 'Service', 'EnvironmentFile'), '/etc/sioroute/sioroute.env');
  assert.equal(unit.Service?.AmbientCapabilities, undefined, 'no capability for high ports');

  const custom = render({}, { execPath: '/opt/sioroute/node_modules/.bin/sioroute', user: 'rt', environmentFile: '/etc/rt/secrets.env' }).unit;
  assert.equal(one(custom, 'Service', 'ExecStart'), '/opt/sioroute/node_modules/.bin/sioroute start');
  assert.equal(one(custom, 'Service', 'User'), 'rt');
  assert.equal(one(custom, 'Service', 'EnvironmentFile'), '/etc/rt/secrets.env');
  assert.equal(one(render({ PORT: '443' }).unit, 'Service', 'AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
});

test('Environment= holds the settings that differ from defaults, and loads back into the same Config', () => {
  const defaults = render({});
  assert.deepEqual(Object.keys(environment(defaults.unit)).sort(), ['DRAIN_SECONDS', 'PID_FILE']);
  const env: Record<string, string> = {
    HOST: '0.0.0.0', PORT: '9000', WORKERS: '6', WORKER_BASE_PORT: '9100', WORKER_PUBLIC_URL: 'https://rt.example.com/w/{index}',
    TRUST_PROXY: '127.0.0.1,10.0.0.0/8', ALLOWED_ORIGINS: 'https://app.example.com,https://b.example.com', LOG_LEVEL: 'warn', IPV6_PREFIX: '56',
    HANDLERS: '/srv/my "app"/100% handlers\\x.js', METRICS_FROM: 'none', ROUTING_SECRET: 'systemd-test-secret-of-at-least-32-bytes', REDIS_URL: 'redis://:pw-in-url@10.0.0.9:6379',
  };
  // PID_FILE as the unit sets it: ignored while it is not a setting, part of both Configs once it is.
  const { config, text, unit } = render({ ...env, PID_FILE: '/run/sioroute/sioroute.pid' });
  const written = environment(unit);
  const known = new Set<string>([...SETTINGS.map((s) => s.env), 'PID_FILE']);
  for (const name of Object.keys(written)) assert.ok(known.has(name), `${name} is a setting`);
  assert.ok(!text.includes(env.ROUTING_SECRET!) && !text.includes('pw-in-url'), 'no secret in the unit');
  assert.equal(written.ROUTING_SECRET, undefined);
  assert.equal(written.HANDLERS, env.HANDLERS, 'quotes, backslashes and % survive systemd\'s reading');
  // The service's environment (Environment= plus the secret from EnvironmentFile=) is the same Config.
  const raw = readRawSettings({ ...written, ROUTING_SECRET: env.ROUTING_SECRET! }, ['start']);
  const loaded = loadConfig(raw);
  assert.deepEqual(commandIssues('start', loaded, raw.sources), []);
  const comparable = (c: Config) => ({ ...c, redisUrl: undefined });
  assert.deepEqual(comparable(loaded), comparable(config));

  const given = render({ WORKERS: String(defaults.config.workers) }, { given: ['WORKERS', 'LOG_LEVEL'] });
  assert.equal(environment(given.unit).WORKERS, String(given.config.workers), 'a given setting is written even at its default');
  assert.equal(environment(given.unit).LOG_LEVEL, 'info');
});

test('bad options are refused with the option, the value and what is expected', () => {
  const config = loadConfig(readRawSettings({}, []));
  const cases: [SystemdUnitOptions, RegExp][] = [
    [{ execPath: 'sioroute' }, /^invalid option execPath="sioroute": expected an absolute path/],
    [{ execPath: '/opt/my app/sioroute' }, /^invalid option execPath="\/opt\/my app\/sioroute": expected an absolute path/],
    [{ user: 'root' }, /^invalid option user="root": expected an unprivileged user name/],
    [{ user: 'Bad User' }, /^invalid option user="Bad User"/],
    [{ environmentFile: 'sioroute.env' }, /^invalid option environmentFile="sioroute.env": expected an absolute path/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => renderSystemdUnit(config, options), (error: unknown) => error instanceof DeployOptionError && message.test(error.message), JSON.stringify(options));
  }
});

const hasAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('systemd-analyze verify finds nothing to say about the unit', { skip: hasAnalyze ? false : 'systemd-analyze is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sioroute-systemd-'));
  try {
    for (const env of [{}, { PORT: '80', HANDLERS: '/srv/a b/100%.js', WORKER_PUBLIC_URL: 'https://rt.example.com/w/{index}' }]) {
      // An executable that exists, so that verify looks at everything else.
      const path = join(dir, 'sioroute.service');
      writeFileSync(path, renderSystemdUnit(loadConfig(readRawSettings(env, [])), { execPath: '/bin/true' }));
      const { stderr } = await promisify(execFile)('systemd-analyze', ['verify', path]);
      assert.equal(stderr, '', JSON.stringify(env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
