// Test support: run the real `sioroute start` as a child process on free ports and read its ready
// line. Used by integration tests, e2e tests and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from '../paths.js';
import { killQuietly, spawnCli } from './cli-process.js';

export interface RunningCluster {
  readonly frontUrl: string;
  readonly frontPort: number;
  /** The front's pid; in single-port mode the supervisor's, which owns the public port. */
  readonly frontPid: number;
  readonly workers: readonly { id: string; port: number; pid: number }[];
  readonly process: ChildProcess;
  /** Every log line printed so far (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the next parsed JSON log line that matches. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  readonly timeoutMs?: number;
  /** In a process group of its own, as a shell's job or a systemd service is. @default false */
  readonly detached?: boolean;
}

const READY_LEVELS = new Set(['info', 'debug', 'trace']);

export async function startCluster(options: StartOptions = {}): Promise<RunningCluster> {
  // A stop drains over DRAIN_SECONDS: a short one keeps the tests short.
  const env = { ...process.env, PORT: '0', WORKER_BASE_PORT: '0', WORKERS: '2', LOG_LEVEL: 'info', DRAIN_SECONDS: '1', ...options.env };
  // The ready information comes from info-level log lines.
  if (!READY_LEVELS.has(env.LOG_LEVEL)) throw new Error(`startCluster needs LOG_LEVEL info, debug or trace, not ${env.LOG_LEVEL}`);
  const cli = spawnCli(['start', ...(options.args ?? [])], env, undefined, { detached: options.detached ?? false });
  const { process: child, lines, waitForLog } = cli;

  const timeoutMs = options.timeoutMs ?? 20_000;
  let ready: Record<string, unknown>;
  let front: Record<string, unknown>;
  try {
    [ready, front] = await Promise.race([
      // In single-port mode the supervisor itself owns the public port: its line stands for the front's.
      Promise.all([waitForLog((e) => typeof e.frontUrl === 'string', timeoutMs), waitForLog((e) => e.msg === 'front ready' || e.msg === 'public port listening', timeoutMs)]),
      cli.exited,
    ]);
  } catch (error) {
    // Never leave a half-started cluster behind a failed start.
    await killQuietly(child);
    throw error;
  }

  return {
    frontUrl: ready.frontUrl as string,
    frontPort: ready.frontPort as number,
    frontPid: front.pid as number,
    workers: ready.workers as RunningCluster['workers'],
    process: child,
    lines,
    waitForLog,
    stop: () => cli.stop(),
  };
}

/** Run the CLI to completion (for settings errors and failed starts); resolves with code and output. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}
