// Test support: a real redis-server on a free loopback port, without persistence (a restart
// forgets everything, the worst case for membership), that can be stopped and started again on
// the same port. Fails loudly when the binary is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { freePortRun } from './free-ports.js';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  /** Kill it (SIGKILL: nothing saved, nothing flushed). */
  kill(): Promise<void>;
  /** Start again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  if (!existsSync(REDIS_SERVER_BIN)) throw new Error(`${REDIS_SERVER_BIN} is missing: install the Debian package redis-server (.ci/run does)`);
  const child = spawn(REDIS_SERVER_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  // Ready when it answers: poll with a plain TCP PING.
  const deadline = Date.now() + 10_000;
  const { connect } = await import('node:net');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output}`);
    const pong = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => socket.destroy());
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (pong) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startRedis(): Promise<RunningRedis> {
  const port = await freePortRun(1);
  let child: ChildProcess | undefined = await spawnRedis(port);
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exit = once(child, 'exit');
    child.kill('SIGKILL');
    await exit;
    child = undefined;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async start() {
      child = await spawnRedis(port);
    },
    stop: kill,
  };
}
