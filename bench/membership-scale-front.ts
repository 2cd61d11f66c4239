// A front's membership for bench/membership-scale.ts: a child process running what
// redisMembership() runs (connectRedis + watchRedisMembership into a Membership), observed, not
// replaced: a refresh starts at its SMEMBERS and ends when its read is handed to
// membership.replace(), and both calls go through to the real ones. The process does nothing else,
// so its CPU between the two marks is the refresh's. Commands: `start`, `await` (when each id is
// first present, or first absent, after a refresh), `window` (start or end a measuring window).
import { pino } from 'pino';
import { connectRedis, whenReady } from '../src/redis/connect-redis.js';
import { Membership } from '../src/registry/membership.js';
import { watchRedisMembership } from '../src/registry/redis-membership-watch.js';

export type FrontCommand =
  | { type: 'start'; url: string }
  | { type: 'await'; ids: string[]; present: boolean; timeoutMs: number }
  | { type: 'window'; phase: 'start' | 'end' };
export interface FrontWindow {
  seconds: number; refreshes: number; processCpuMs: number; refreshCpuMs: number[]; refreshWallMs: number[];
  /** Refreshes that changed the routable set: none while nobody joins or dies. */
  changes: number;
}
export type FrontReply =
  | { type: 'ready'; workers: number }
  /** at[i]: epoch ms of the first refresh after which ids[i] was present (or absent); null if none before the timeout. */
  | { type: 'awaited'; at: (number | null)[] }
  | { type: 'window'; window?: FrontWindow };

const epochMs = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const membership = new Membership();
const waits = new Set<() => void>();
let window: (FrontWindow & { startedAt: number; cpuAt: number }) | undefined;

async function start(url: string): Promise<FrontReply> {
  const logger = pino({ level: 'silent' });
  const client = connectRedis({ url, logger, purpose: 'membership', failFast: true });
  await whenReady(client, 2000);
  let began: { wall: number; cpu: number } | undefined;
  const sMembers = client.sMembers.bind(client);
  Object.assign(client, {
    sMembers: (...args: Parameters<typeof sMembers>) => {
      began = { wall: performance.now(), cpu: cpuMs() };
      return sMembers(...args);
    },
  });
  const replace = membership.replace.bind(membership);
  let changed = false;
  membership.onChange(() => (changed = true));
  membership.replace = (workers) => {
    replace(workers);
    if (began && window) {
      window.refreshes++;
      window.refreshWallMs.push(performance.now() - began.wall);
      window.refreshCpuMs.push(cpuMs() - began.cpu);
      if (changed) window.changes++;
    }
    began = undefined;
    changed = false;
    for (const check of waits) check();
  };
  const watch = watchRedisMembership({ client, membership, logger });
  await watch.firstRead;
  return { type: 'ready', workers: membership.list().length };
}

function awaitIds(command: Extract<FrontCommand, { type: 'await' }>): Promise<FrontReply> {
  const at: (number | null)[] = command.ids.map(() => null);
  return new Promise((resolve) => {
    const done = () => {
      waits.delete(check);
      clearTimeout(timer);
      resolve({ type: 'awaited', at });
    };
    const check = () => {
      const now = epochMs();
      let pending = 0;
      command.ids.forEach((id, i) => {
        if (at[i] === null && (membership.get(id) !== undefined) === command.present) at[i] = now;
        if (at[i] === null) pending++;
      });
      if (pending === 0) done();
    };
    const timer = setTimeout(done, command.timeoutMs);
    waits.add(check);
  });
}

function windowPhase(phase: 'start' | 'end'): FrontReply {
  if (phase === 'start') {
    window = { seconds: 0, refreshes: 0, processCpuMs: 0, refreshCpuMs: [], refreshWallMs: [], changes: 0, startedAt: performance.now(), cpuAt: cpuMs() };
    return { type: 'window' };
  }
  const w = window!;
  window = undefined;
  const { startedAt, cpuAt, ...rest } = w;
  return { type: 'window', window: { ...rest, seconds: (performance.now() - startedAt) / 1000, processCpuMs: cpuMs() - cpuAt } };
}

process.on('message', (command: FrontCommand & { id: number }) => {
  const reply = command.type === 'start' ? start(command.url)
    : command.type === 'await' ? awaitIds(command)
    : Promise.resolve(windowPhase(command.phase));
  void reply.then((r) => process.send!({ ...r, id: command.id }));
});
process.on('disconnect', () => process.exit(0));
