// Test support: `sioroute front` and `sioroute worker` as separate services (real processes),
// started on free ports, as a multi-host deployment runs them.
import { killQuietly, spawnCli, type CliProcess } from './cli-process.js';

export interface RunningService {
  readonly cli: CliProcess;
  readonly pid: number;
  readonly port: number;
  /** SIGTERM (a worker drains), then wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: the host vanishes. */
  kill(): Promise<void>;
}

export interface RunningWorkerService extends RunningService {
  readonly id: string;
}

export interface RunningFrontService extends RunningService {
  readonly url: string;
}

const baseEnv = (env: Record<string, string>) => ({ ...process.env, LOG_LEVEL: 'info', PORT: '0', WORKER_BASE_PORT: '0', ...env });

async function startService(command: 'front' | 'worker', env: Record<string, string>, ready: (entry: Record<string, unknown>) => boolean, timeoutMs: number) {
  const cli = spawnCli([command], baseEnv(env));
  try {
    const entry = await Promise.race([cli.waitForLog(ready, timeoutMs), cli.exited]);
    return { cli, entry };
  } catch (error) {
    await killQuietly(cli.process);
    throw error;
  }
}

export async function startWorkerService(env: Record<string, string>, timeoutMs = 20_000): Promise<RunningWorkerService> {
  const { cli, entry } = await startService('worker', env, (e) => e.msg === 'sioroute worker ready', timeoutMs);
  return {
    cli,
    id: entry.workerId as string,
    pid: cli.process.pid!,
    port: entry.port as number,
    stop: () => cli.stop(),
    kill: () => killQuietly(cli.process),
  };
}

export async function startFrontService(env: Record<string, string>, timeoutMs = 20_000): Promise<RunningFrontService> {
  const { cli, entry } = await startService('front', env, (e) => typeof e.frontUrl === 'string', timeoutMs);
  return {
    cli,
    url: entry.frontUrl as string,
    pid: cli.process.pid!,
    port: entry.frontPort as number,
    stop: () => cli.stop(),
    kill: () => killQuietly(cli.process),
  };
}
