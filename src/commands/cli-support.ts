// What every command shares: exit codes, the one-line failure, settings or exit 2.
import { createRequire } from 'node:module';
import { ConfigError, loadConfig, readRawSettings, UsageError, type ExtraOptions } from '../config/load-config.js';
import type { Config } from '../config/settings.js';
import { commandIssues, type Command } from '../config/command-settings.js';

export const EXIT_CONFIG = 2;
export const EXIT_FAILURE = 1;

export type RawCommandLine = ReturnType<typeof readRawSettings>;

export function fail(code: number, lines: string): never {
  for (const line of lines.split('\n')) process.stderr.write(`sioroute: ${line}\n`);
  process.exit(code);
}

/** The command line read against the settings and these extra options, or exit 2 naming the problem. */
export function readCommandLine(args: readonly string[], extra: ExtraOptions = {}): RawCommandLine {
  try {
    return readRawSettings(process.env, args, { help: { type: 'boolean', short: 'h' }, ...extra });
  } catch (error) {
    if (error instanceof UsageError) {
      // Which command it was for, when one was named: the first argument that is not an option.
      const command = args.find((arg) => !arg.startsWith('-'));
      const known = command !== undefined && /^[a-z-]+$/.test(command);
      fail(EXIT_CONFIG, /^unknown option/.test(error.message) && known ? `${error.message} for ${command} (see sioroute ${command} --help)` : `${error.message} (see sioroute --help)`);
    }
    throw error;
  }
}

/** Settings, or exit 2 with one line per bad setting. */
export function loadConfigOrExit(raw: RawCommandLine, command?: Command): Config {
  try {
    const config = loadConfig(raw);
    const issues = command ? commandIssues(command, config, raw.sources) : [];
    if (issues.length > 0) throw new ConfigError(issues);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) fail(EXIT_CONFIG, error.message);
    throw error;
  }
}

/** A command takes no positional argument after its name. */
export function refuseExtraArguments(raw: RawCommandLine, command: string): void {
  const extra = raw.rest[1];
  if (extra !== undefined) fail(EXIT_CONFIG, `unexpected argument ${JSON.stringify(extra)} for ${command} (see sioroute ${command} --help)`);
}

export function loopbackFor(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}

export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
}
