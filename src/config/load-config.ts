// Configuration in two steps: read raw values (environment, then CLI flags, which win), then parse
// and validate them all at once against the SETTINGS table, reporting every problem together.
import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** Options a command takes besides the settings (`--help`, `--listen`...), as node:util parseArgs describes them. */
export type ExtraOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** A command line that cannot be read: an unknown option, a missing value. Exit code 2. */
export class UsageError extends Error {
  readonly code = 'SIOROUTE_USAGE';
}

/** parseArgs's complaint in sioroute's words: the option, and what is expected. */
function usageError(error: Error & { code?: string }): UsageError {
  const flag = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? '';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag}`);
  if (/argument missing/.test(error.message)) return new UsageError(`invalid option ${flag}="": expected a value after ${flag}`);
  if (/does not take an argument/.test(error.message)) return new UsageError(`invalid option ${flag}: a switch takes no value (use the environment variable to turn it off)`);
  return new UsageError(error.message.split('\n', 1)[0]!);
}

function settingOptions(extra: ExtraOptions): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = { ...extra };
  for (const spec of SETTINGS) options[spec.flag.slice(2)] = { type: spec.isSwitch ? 'boolean' : 'string' };
  return options;
}

/**
 * Collect raw setting values from the environment and from the arguments (node:util parseArgs:
 * `--flag value`, `--flag=value`; a switch such as `--single-port` alone means true). Flags win.
 * Positional arguments (the command) come back in `rest`, the command's own options in `extras`.
 * Throws UsageError for an unknown option or a missing value.
 */
export function readRawSettings(
  env: Readonly<Record<string, string | undefined>>,
  args: readonly string[],
  extra: ExtraOptions = {},
): RawSettings & { rest: string[]; extras: Record<string, string | boolean | undefined> } {
  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const spec of SETTINGS) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') {
      values[spec.env] = value;
      sources[spec.env] = spec.env;
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: settingOptions(extra), allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error as Error & { code?: string });
  }
  const extras: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const spec = SETTINGS.find((s) => s.flag === `--${name}`);
    if (!spec) {
      extras[name] = value as string | boolean;
      continue;
    }
    values[spec.env] = typeof value === 'boolean' ? String(value) : String(value);
    sources[spec.env] = spec.flag;
  }
  return { values, sources, issues: [], rest: parsed.positionals, extras };
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
