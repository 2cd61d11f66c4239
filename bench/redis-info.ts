// Redis's own account of its load, from two `INFO all` readings: commands per second (in all and
// per command, from commandstats), CPU (used_cpu_sys + used_cpu_user) and network. The readings'
// own INFO commands are left out.
import type { RedisClient } from '../src/redis/connect-redis.js';

export interface InfoReading {
  readonly fields: ReadonlyMap<string, string>;
  /** commandstats: calls and microseconds spent, per command. */
  readonly commands: ReadonlyMap<string, { calls: number; usec: number }>;
}
export interface RedisLoad {
  opsPerSecond: number;
  commands: { command: string; perSecond: number; usecPerCall: number }[];
  /** Percent of one core. */
  cpuPercent: number;
  netInKiBps: number;
  netOutKiBps: number;
}

export async function readInfo(client: RedisClient): Promise<InfoReading> {
  const fields = new Map<string, string>();
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const line of (await client.info('all')).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (!key.startsWith('cmdstat_')) fields.set(key, value);
    else commands.set(key.slice('cmdstat_'.length), { calls: Number(/calls=(\d+)/.exec(value)?.[1] ?? 0), usec: Number(/usec=(\d+)/.exec(value)?.[1] ?? 0) });
  }
  return { fields, commands };
}

export const infoNumber = (reading: InfoReading, key: string): number => Number(reading.fields.get(key) ?? NaN);

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function redisLoad(before: InfoReading, after: InfoReading, seconds: number): RedisLoad {
  const delta = (key: string) => infoNumber(after, key) - infoNumber(before, key);
  const calls = (reading: InfoReading, command: string) => reading.commands.get(command) ?? { calls: 0, usec: 0 };
  const commands = [...after.commands.keys()].filter((command) => command !== 'info').map((command) => {
    const n = calls(after, command).calls - calls(before, command).calls;
    const usec = calls(after, command).usec - calls(before, command).usec;
    return { command, perSecond: round(n / seconds, 1), usecPerCall: round(usec / Math.max(1, n), 2) };
  }).filter((c) => c.perSecond > 0).sort((a, b) => b.perSecond - a.perSecond);
  const infoCalls = calls(after, 'info').calls - calls(before, 'info').calls;
  return {
    opsPerSecond: round((delta('total_commands_processed') - infoCalls) / seconds, 0),
    commands,
    cpuPercent: round(((delta('used_cpu_sys') + delta('used_cpu_user')) / seconds) * 100, 1),
    netInKiBps: round(delta('total_net_input_bytes') / 1024 / seconds, 0),
    netOutKiBps: round(delta('total_net_output_bytes') / 1024 / seconds, 0),
  };
}
