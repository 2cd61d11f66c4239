// Test support: the real CLI as a child process whose JSON log lines can be awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from '../paths.js';

export type LogEntry = Record<string, unknown>;

export interface CliProcess {
  readonly process: ChildProcess;
  /** Every log line printed so far (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the next parsed JSON log line that matches. */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  /** Rejects if the process exits first; for racing against a readiness wait. */
  readonly exited: Promise<never>;
  /** Send `signal` (default SIGTERM), then wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `script`: the CLI to run, e.g. an installed package's bin. @default this checkout's */
/** `detached`: in a process group of its own, which `process.kill(-pid, signal)` signals whole. */
export function spawnCli(args: readonly string[], env: Record<string, string | undefined>, script = CLI_PATH, options: { detached?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  const lines: string[] = [];
  const watchers = new Set<(entry: LogEntry) => void>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      let entry: LogEntry | undefined;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        continue;
      }
      for (const watcher of watchers) watcher(entry);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const waitForLog = (match: (entry: LogEntry) => boolean, timeoutMs = 15_000) =>
    new Promise<LogEntry>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join('\n')}`));
      }, timeoutMs);
      const watcher = (entry: LogEntry) => {
        if (!match(entry)) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolve(entry);
      };
      watchers.add(watcher);
    });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`sioroute ${args.join(' ')} exited with ${String(code)}:\n${lines.join('\n')}`);
  });
  exited.catch(() => {});

  return {
    process: child,
    lines,
    waitForLog,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exit = once(child, 'exit');
      child.kill(signal);
      const [code] = await exit;
      return code as number | null;
    },
  };
}

/** Kill and reap a child that failed to start, so no half-started process is left behind. */
export async function killQuietly(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill('SIGKILL');
  await exit;
}
