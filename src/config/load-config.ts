// Configuration in two steps: read raw values (environment, then CLI flags, which win), then parse
// and validate them all at once against the SETTINGS table, reporting every problem together.
import { SOCKET_IO_PATH, workerAddress } from '../routing/worker-address.js';
import { ParseProblem } from './parsers.js';
import { SETTINGS, type Config, type SettingSpec } from './settings.js';

export interface ConfigIssue {
  setting: string;
  /** The value as given, or a redacted description for secrets. */
  shown: string;
  expected: string;
}

/** Thrown when settings are wrong; `issues` has one entry per bad setting. Exit code 2. */
export class ConfigError extends Error {
  readonly code = 'SIOROUTE_CONFIG_INVALID';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `invalid setting ${issue.setting}=${issue.shown}: ${issue.expected}`;
}

export interface RawSettings {
  /** Raw values by environment variable name. */
  readonly values: Readonly<Record<string, string>>;
  /** Where each value came from, for messages: `PORT` or `--port`. */
  readonly sources: Readonly<Record<string, string>>;
  readonly issues: readonly ConfigIssue[];
}

const byFlag = new Map<string, SettingSpec>(SETTINGS.map((s) => [s.flag, s]));

/**
 * Collect raw setting values from the environment and from `--flag value` / `--flag=value`
 * arguments (a switch such as `--single-port` alone means true). Arguments that are not settings are returned in `rest` for the CLI to handle.
 */
export function readRawSettings(env: Readonly<Record<string, string | undefined>>, args: readonly string[]): RawSettings & { rest: string[] } {
  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  const rest: string[] = [];
  for (const spec of SETTINGS) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') {
      values[spec.env] = value;
      sources[spec.env] = spec.env;
    }
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const spec = byFlag.get(flag);
    if (!spec) {
      rest.push(arg);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    // A switch never takes the next argument: `--single-port start` must not read `start` as its value.
    else if (spec.isSwitch) value = 'true';
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    if (value === undefined) {
      issues.push({ setting: flag, shown: '(nothing)', expected: `expected a value after ${flag}` });
      continue;
    }
    values[spec.env] = value;
    sources[spec.env] = flag;
  }
  return { values, sources, issues, rest };
}

function shownValue(spec: SettingSpec, raw: string): string {
  return spec.secret ? `<redacted, ${Buffer.byteLength(raw)} bytes>` : JSON.stringify(raw);
}

/** Validate raw settings into a frozen Config, or throw one ConfigError listing every problem. */
export function loadConfig(raw: RawSettings): Config {
  const issues: ConfigIssue[] = [...raw.issues];
  const config: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const value = raw.values[spec.env];
    if (value === undefined) {
      config[spec.key] = spec.defaultValue();
      continue;
    }
    try {
      config[spec.key] = spec.parse(value);
    } catch (error) {
      if (!(error instanceof ParseProblem)) throw error;
      issues.push({ setting: raw.sources[spec.env] ?? spec.env, shown: shownValue(spec, value), expected: error.message });
    }
  }
  const result = config as unknown as Config;
  if (issues.length === 0) {
    const lastPort = result.workerBasePort + result.workers - 1;
    if (result.workerBasePort !== 0 && lastPort > 65535) {
      issues.push({
        setting: raw.sources.WORKER_BASE_PORT ?? 'WORKER_BASE_PORT',
        shown: String(result.workerBasePort),
        expected: `expected a base port that leaves room for ${result.workers} workers (base + workers - 1 <= 65535)`,
      });
    }
    const front = result.port;
    // In single-port mode the workers listen on no port of their own.
    if (!result.singlePort && front !== 0 && result.workerBasePort !== 0 && front >= result.workerBasePort && front <= lastPort) {
      issues.push({
        setting: raw.sources.PORT ?? 'PORT',
        shown: String(front),
        expected: `expected a front port outside the worker ports ${result.workerBasePort}-${lastPort}`,
      });
    }
    // Every worker is reached at the public port's own socket.io path: a path-routing proxy cannot
    // sit in front of one port that is routed by client address.
    const sample = workerAddress(result.workerPublicUrl, { id: 'w0', index: 0, port: 1, hostname: 'example.com', protocol: 'http' });
    if (result.singlePort && sample.path !== SOCKET_IO_PATH) {
      issues.push({
        setting: raw.sources.WORKER_PUBLIC_URL ?? 'WORKER_PUBLIC_URL',
        shown: JSON.stringify(result.workerPublicUrl),
        expected: 'expected an origin without a path in single-port mode (every worker is reached at the public port\'s /socket.io)',
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(result);
}

/** The configuration as safe to log: secrets replaced by whether they are set. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const value = config[spec.key];
    shown[spec.key] = spec.secret ? (value === undefined ? 'unset' : 'set') : value;
  }
  return shown;
}
