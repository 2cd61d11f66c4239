// Membership of the separate-services mode at 1,000 workers, through a real redis-server and the
// real code: workers registering and heartbeating (redisRegistration), fronts refreshing
// (watchRedisMembership into a Membership), at the default intervals.
//   node dist/bench/membership-scale.js [--workers 1000 --fronts 2 --processes 3 --window-seconds 20
//     --batch 100 --batch-deaths 3 --single-deaths 8 --table-repeats 3 --out file.json]
// The simulated workers (valid records, no socket.io server behind them) live in child processes
// (membership-scale-workers.ts): `processes` hold all but `batch` of them, and each trial adds a
// process of its own, `batch` workers or one, that is killed with SIGKILL (no deregistration).
// Each front is a child process too (membership-scale-front.ts), so its CPU is its own. Measured:
// Redis's load over a window at `workers` workers (INFO deltas), a front's CPU and wall time per
// refresh, join -> seen by every front, kill -> gone from every front, and, once every process
// has stopped, what a change costs the routing table (membership-scale-table.ts). Bounded in count
// and time; loopback only.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { connectRedis, whenReady } from '../src/redis/connect-redis.js';
import { MEMBERS_SET, MEMBERSHIP_REFRESH_MS, RECORD_TTL_MS, REGISTRY_HEARTBEAT_MS } from '../src/registry/redis-schema.js';
import { startRedis } from '../src/testing/redis-server.js';
import { IpcChild } from './ipc-child.js';
import type { FrontCommand, FrontReply, FrontWindow } from './membership-scale-front.js';
import { measureTableChanges, type TableChangeTimes } from './membership-scale-table.js';
import type { WorkersCommand, WorkersReply } from './membership-scale-workers.js';
import { infoNumber, readInfo, redisLoad, type RedisLoad } from './redis-info.js';
import { percentile } from './stats.js';

export interface MembershipScaleOptions {
  workers: number;
  fronts: number;
  /** Child processes holding the workers that stay. */
  processes: number;
  windowSeconds: number;
  /** Workers in one process killed at once. */
  batch: number;
  batchDeaths: number;
  singleDeaths: number;
  /** Repeats of each routing table change. */
  tableRepeats: number;
  log?: (line: string) => void;
}
export interface Times { count: number; p50Ms: number; maxMs: number }
export interface Distribution { p50: number; p99: number; max: number }
export interface MembershipScaleResult {
  options: Omit<MembershipScaleOptions, 'log'>;
  node: string;
  redisVersion: string;
  intervals: { heartbeatMs: number; recordTtlMs: number; refreshMs: number };
  redis: RedisLoad & { seconds: number; members: number; usedMemoryMiB: number; bytesPerWorker: number; clients: number };
  /** Every front's refreshes pooled; `changes`: refreshes that changed the routable set (none expected). */
  front: { changes: number; refreshesPerSecond: number; refreshCpuMs: Distribution; processCpuMsPerRefresh: number; cpuPercent: number; refreshWallMs: Distribution };
  /** CPU of the processes holding the simulated workers, per 1,000 workers. */
  workerSideCpuPercentPer1000: number;
  table: TableChangeTimes[];
  /** From a worker's registration to the end of the refresh after which every front had it. */
  joins: { single: Times & { seen: number }; batch: Times & { seen: number } };
  /** From SIGKILL to the end of the refresh after which no front had any of the trial's workers. */
  deaths: { single: Times & { killed: number; left: number }; batch: Times & { killed: number; left: number } };
  seconds: number;
}

const FRONT_PATH = fileURLToPath(new URL('./membership-scale-front.js', import.meta.url));
const WORKERS_PATH = fileURLToPath(new URL('./membership-scale-workers.js', import.meta.url));
/** Longest wait for a join or a death to show (a record lives RECORD_TTL_MS, a refresh comes every MEMBERSHIP_REFRESH_MS). */
const AWAIT_MS = 15_000;
const JOIN_TIMEOUT_MS = 60_000;
const SETTLE_MS = 2_000;

type Front = IpcChild<FrontCommand, FrontReply>;
type Holder = IpcChild<WorkersCommand, WorkersReply>;
type AwaitedIds = Extract<FrontReply, { type: 'awaited' }>;

const epochMs = () => performance.timeOrigin + performance.now();
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const timesOf = (values: number[]): Times => {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: values.length, p50Ms: round(percentile(sorted, 50), 1), maxMs: round(sorted.at(-1) ?? 0, 1) };
};
const distribution = (values: number[]): Distribution => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) };
};
const idsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

export async function runMembershipScale(options: MembershipScaleOptions): Promise<MembershipScaleResult> {
  const { workers, fronts, processes, windowSeconds, batch, batchDeaths, singleDeaths, tableRepeats } = options;
  if (!(fronts >= 1 && processes >= 1 && batch >= 1 && workers > batch && batchDeaths >= 1 && singleDeaths >= 0 && windowSeconds > 0 && tableRepeats >= 1)) {
    throw new Error('runMembershipScale: expected fronts, processes, batch, batchDeaths, tableRepeats >= 1, workers > batch, windowSeconds > 0');
  }
  const started = Date.now();
  const live = await measureLive(options);
  options.log?.('routing table changes...');
  // With every process stopped, so nothing else competes for the CPU.
  const table = measureTableChanges(workers, batch, tableRepeats);
  return { ...live, table, seconds: round((Date.now() - started) / 1000, 0) };
}

/** Everything but the routing table, with redis-server, fronts and workers running. */
async function measureLive(options: MembershipScaleOptions): Promise<Omit<MembershipScaleResult, 'table' | 'seconds'>> {
  const { workers, windowSeconds, batch, batchDeaths, singleDeaths, log = () => {} } = options;
  const redis = await startRedis();
  const info = connectRedis({ url: redis.url, logger: pino({ level: 'silent' }), purpose: 'bench' });
  const fronts: Front[] = Array.from({ length: options.fronts }, () => new IpcChild(FRONT_PATH));
  const holders: Holder[] = [];
  const awaitIds = (ids: string[], present: boolean) =>
    Promise.all(fronts.map((f) => f.request({ type: 'await', ids, present, timeoutMs: AWAIT_MS }, JOIN_TIMEOUT_MS + AWAIT_MS) as Promise<AwaitedIds>));
  let nextIndex = 0;
  /** A new process registering `ids`; per id, ms until every front had it (null if one never did). */
  const join = async (ids: string[]) => {
    const holder: Holder = new IpcChild(WORKERS_PATH);
    holders.push(holder);
    const seen = awaitIds(ids, true);
    const joined = await holder.request({ type: 'join', url: redis.url, ids, firstIndex: nextIndex }, JOIN_TIMEOUT_MS) as Extract<WorkersReply, { type: 'joined' }>;
    nextIndex += ids.length;
    const at = await seen;
    return { holder, seenMs: ids.map((_, i) => (at.some((r) => r.at[i] === null) ? null : Math.max(...at.map((r) => r.at[i]!)) - joined.joinedAt[i]!)) };
  };
  /** SIGKILL the holder at a random phase of its heartbeats; ms until no front had any of `ids`, and how many left every front. */
  const kill = async (holder: Holder, ids: string[]) => {
    await sleep(Math.random() * REGISTRY_HEARTBEAT_MS);
    const gone = awaitIds(ids, false);
    const killedAt = epochMs();
    await holder.kill();
    const at = await gone;
    const left = ids.filter((_, i) => at.every((r) => r.at[i] !== null)).length;
    return { left, ms: left === ids.length ? Math.max(...at.flatMap((r) => r.at as number[])) - killedAt : null };
  };
  /** A window at `workers` workers, nobody joining or dying. */
  const steadyState = async () => {
    await sleep(SETTLE_MS);
    const live = holders.filter((h) => h.alive);
    const holderCpuMs = async () => sum((await Promise.all(live.map((h) => h.request({ type: 'cpu' }, 5_000)))).map((r) => (r as { cpuMs: number }).cpuMs));
    const before = await readInfo(info);
    const cpuBefore = await holderCpuMs();
    await Promise.all(fronts.map((f) => f.request({ type: 'window', phase: 'start' }, 5_000)));
    await sleep(windowSeconds * 1000);
    const windows = (await Promise.all(fronts.map((f) => f.request({ type: 'window', phase: 'end' }, 5_000)))).map((r) => (r as { window: FrontWindow }).window);
    const holderCpu = (await holderCpuMs()) - cpuBefore;
    return { before, after: await readInfo(info), windows, holderCpu, members: await info.sCard(MEMBERS_SET) };
  };

  try {
    await whenReady(info, 5_000);
    await Promise.all(fronts.map((f) => f.request({ type: 'start', url: redis.url }, 30_000)));
    const empty = await readInfo(info);
    // The workers that stay, spread over `processes` children.
    const stay = workers - batch;
    const share = Math.ceil(stay / options.processes);
    await Promise.all(Array.from({ length: options.processes }, (_, p) => join(idsOf(`w${p}-`, Math.max(0, Math.min(share, stay - p * share))))));
    log(`${stay} workers in ${options.processes} processes`);

    const joins = { single: [] as (number | null)[], batch: [] as (number | null)[] };
    const deaths = { single: [] as { left: number; ms: number | null }[], batch: [] as { left: number; ms: number | null }[] };
    let steady: Awaited<ReturnType<typeof steadyState>> | undefined;
    for (let k = 0; k < batchDeaths; k++) {
      const ids = idsOf(`b${k}-`, batch);
      const victim = await join(ids);
      joins.batch.push(...victim.seenMs);
      if (k === 0) steady = await steadyState();
      deaths.batch.push(await kill(victim.holder, ids));
      log(`batch ${k}: ${batch} joined (max ${Math.max(...victim.seenMs.map((ms) => ms ?? Infinity)).toFixed(0)} ms), killed: gone from every front in ${deaths.batch.at(-1)!.ms?.toFixed(0)} ms`);
    }
    // Back to `workers` for the single deaths: a filler process with batch - 1 workers.
    if (singleDeaths > 0 && batch > 1) await join(idsOf('f', batch - 1));
    for (let k = 0; k < singleDeaths; k++) {
      const victim = await join([`s${k}`]);
      joins.single.push(...victim.seenMs);
      deaths.single.push(await kill(victim.holder, [`s${k}`]));
      log(`single ${k}: joined in ${victim.seenMs[0]?.toFixed(1)} ms, killed: gone from every front in ${deaths.single.at(-1)!.ms?.toFixed(0)} ms`);
    }

    const { before, after, windows, holderCpu, members } = steady!;
    const seconds = sum(windows.map((w) => w.seconds)) / windows.length;
    const refreshes = sum(windows.map((w) => w.refreshes));
    const processCpuMs = sum(windows.map((w) => w.processCpuMs));
    const deathsOf = (d: { left: number; ms: number | null }[], size: number) =>
      ({ ...timesOf(d.flatMap((x) => (x.ms === null ? [] : [x.ms]))), killed: d.length * size, left: sum(d.map((x) => x.left)) });
    const joinsOf = (j: (number | null)[]) => ({ ...timesOf(j.filter((ms): ms is number => ms !== null)), count: j.length, seen: j.filter((ms) => ms !== null).length });
    return {
      options: { workers, fronts: options.fronts, processes: options.processes, windowSeconds, batch, batchDeaths, singleDeaths, tableRepeats: options.tableRepeats },
      node: process.version,
      redisVersion: after.fields.get('redis_version') ?? 'unknown',
      intervals: { heartbeatMs: REGISTRY_HEARTBEAT_MS, recordTtlMs: RECORD_TTL_MS, refreshMs: MEMBERSHIP_REFRESH_MS },
      redis: {
        ...redisLoad(before, after, seconds), seconds: round(seconds, 1), members, clients: infoNumber(after, 'connected_clients'),
        usedMemoryMiB: round(infoNumber(after, 'used_memory') / 2 ** 20, 1),
        bytesPerWorker: Math.round((infoNumber(after, 'used_memory') - infoNumber(empty, 'used_memory')) / members),
      },
      front: {
        changes: sum(windows.map((w) => w.changes)),
        refreshesPerSecond: round(refreshes / windows.length / seconds),
        refreshCpuMs: distribution(windows.flatMap((w) => w.refreshCpuMs)),
        processCpuMsPerRefresh: round(processCpuMs / Math.max(1, refreshes)),
        cpuPercent: round((processCpuMs / windows.length / (seconds * 1000)) * 100),
        refreshWallMs: distribution(windows.flatMap((w) => w.refreshWallMs)),
      },
      workerSideCpuPercentPer1000: round((holderCpu / (seconds * 1000)) * 100 * (1000 / members), 1),
      joins: { single: joinsOf(joins.single), batch: joinsOf(joins.batch) },
      deaths: { single: deathsOf(deaths.single, 1), batch: deathsOf(deaths.batch, batch) },
    };
  } finally {
    await Promise.all([...fronts, ...holders].map((c) => c.kill()));
    if (info.isOpen) info.destroy();
    await redis.stop();
  }
}

export function membershipScaleMarkdown(r: MembershipScaleResult): string {
  const o = r.options;
  const ms = (t: Times) => `${t.p50Ms} ms / ${t.maxMs} ms`;
  return [
    `${r.redis.members} simulated workers registered through the real registration code (one Redis client each, a heartbeat every ${r.intervals.heartbeatMs} ms, records living ${r.intervals.recordTtlMs} ms), held by ${o.processes} processes plus one per trial, and ${o.fronts} fronts' membership watchers reading every ${r.intervals.refreshMs} ms and on every notification, each in its own process, against one redis-server ${r.redisVersion} on loopback (Node ${r.node}). Steady state over ${r.redis.seconds} s:`,
    '',
    '| | figure |',
    '| --- | ---: |',
    `| Redis commands/s (INFO total_commands_processed) | ${r.redis.opsPerSecond} |`,
    `| Redis CPU (used_cpu_sys + used_cpu_user) | ${r.redis.cpuPercent} % of a core |`,
    `| Redis network in / out | ${r.redis.netInKiBps} / ${r.redis.netOutKiBps} KiB/s |`,
    `| Redis used_memory (per worker, its connection included) | ${r.redis.usedMemoryMiB} MiB (${(r.redis.bytesPerWorker / 1024).toFixed(1)} KiB) |`,
    `| front refreshes/s (each); of them changing the routable set | ${r.front.refreshesPerSecond}; ${r.front.changes} |`,
    `| front CPU per refresh, p50 / p99 / max (SMEMBERS to membership.replace) | ${r.front.refreshCpuMs.p50} / ${r.front.refreshCpuMs.p99} / ${r.front.refreshCpuMs.max} ms |`,
    `| front process CPU / refreshes | ${r.front.processCpuMsPerRefresh} ms (${r.front.cpuPercent} % of a core) |`,
    `| front refresh wall time, p50 / p99 / max | ${r.front.refreshWallMs.p50} / ${r.front.refreshWallMs.p99} / ${r.front.refreshWallMs.max} ms |`,
    `| worker side: registration CPU per 1,000 workers | ${r.workerSideCpuPercentPer1000} % of a core |`,
    '',
    `Redis commands per second: ${r.redis.commands.map((c) => `${c.command} ${c.perSecond} (${c.usecPerCall} µs each)`).join(', ')} (a script's own calls are counted under their names as well as under eval; the sampler's INFO is left out).`,
    '',
    `A change applied to a front's routing table at ${o.workers} workers (the real Membership and table, nothing else running), p50 / max of ${o.tableRepeats}: apply is membership.replace() and the next request's routingTable(); settle is one select() in each of the 2^20 buckets after it, less the same over a settled table: what a busy front spends scoring the buckets the change moved.`,
    '',
    '| change | workers after | apply | settle |',
    '| --- | ---: | ---: | ---: |',
    ...r.table.map((t) => `| ${t.change} | ${t.workersAfter} | ${t.applyMs.p50} / ${t.applyMs.max} ms | ${t.settleMs.p50} / ${t.settleMs.max} ms |`),
    '',
    'Joins and deaths (SIGKILL, no deregistration), p50 / max:',
    '',
    '| | trials | workers | in every front / gone from every front | time |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| join, one worker (registered -> seen) | ${o.singleDeaths} | ${r.joins.single.count} | ${r.joins.single.seen} | ${ms(r.joins.single)} |`,
    `| join, ${o.batch} at once | ${o.batchDeaths} | ${r.joins.batch.count} | ${r.joins.batch.seen} | ${ms(r.joins.batch)} |`,
    `| death, one worker (kill -> gone) | ${o.singleDeaths} | ${r.deaths.single.killed} | ${r.deaths.single.left} | ${ms(r.deaths.single)} |`,
    `| death, ${o.batch} in one process | ${o.batchDeaths} | ${r.deaths.batch.killed} | ${r.deaths.batch.left} | ${ms(r.deaths.batch)} |`,
    '',
    `Whole run ${r.seconds} s.`,
  ].join('\n');
}

// Run as a script (full size by default); importing the module runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1000' }, fronts: { type: 'string', default: '2' }, processes: { type: 'string', default: '3' },
      'window-seconds': { type: 'string', default: '20' }, batch: { type: 'string', default: '100' },
      'batch-deaths': { type: 'string', default: '3' }, 'single-deaths': { type: 'string', default: '8' }, 'table-repeats': { type: 'string', default: '3' }, out: { type: 'string' },
    },
  });
  const result = await runMembershipScale({
    workers: Number(values.workers), fronts: Number(values.fronts), processes: Number(values.processes), windowSeconds: Number(values['window-seconds']),
    batch: Number(values.batch), batchDeaths: Number(values['batch-deaths']), singleDeaths: Number(values['single-deaths']), tableRepeats: Number(values['table-repeats']),
    log: (line) => process.stdout.write(`membership-scale: ${line}\n`),
  });
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`\n${membershipScaleMarkdown(result)}\n`);
}
