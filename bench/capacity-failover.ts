// Failover at scale: after the capacity ramp, `kill -9` the worker holding the most clients and
// time each of its clients' way back (resolve through the front, connect to another worker), with
// every GET /ws-endpoint answer counted: an endpoint, 503 OVERLOADED, anything else, or no answer.
// Clients of the other workers must not notice.
import { setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningCluster } from '../src/testing/cluster-process.js';
import type { GeneratorCommand, GeneratorReply, GeneratorReport, ResolveCounts } from './capacity-generator.js';
import type { IpcChild } from './ipc-child.js';
import { percentile } from './stats.js';

export type Generator = IpcChild<GeneratorCommand, GeneratorReply>;

/** Every generator's report, in order. */
export async function reports(generators: Generator[]): Promise<GeneratorReport[]> {
  return (await Promise.all(generators.map((g) => g.request({ type: 'report' }, 60_000)))) as GeneratorReport[];
}

export interface StormResult {
  killedWorker: string;
  /** Clients the killed worker held, as the generators counted them just before. */
  killedClients: number;
  /** Of them, back on another worker within the time allowed. */
  rehomed: number;
  rehomeMs: { p50: number; p99: number; max: number };
  /** Re-homed clients by the end of each second after the kill (cumulative). */
  curve: number[];
  /** Clients of other workers that lost their connection: must be 0. */
  othersDisturbed: number;
  resolves: ResolveCounts;
  waitedSeconds: number;
}

/** How long the clients have to come back. */
const STORM_LIMIT_MS = 60_000;

export async function runFailoverStorm(options: { cluster: RunningCluster; generators: Generator[]; log: (line: string) => void }): Promise<StormResult> {
  const { cluster, generators, log } = options;
  const before = await Promise.all(generators.map((g) => g.request({ type: 'mark' }, 60_000))) as GeneratorReport[];
  const byWorker = new Map<string, number>();
  for (const r of before) for (const [id, n] of Object.entries(r.byWorker)) byWorker.set(id, (byWorker.get(id) ?? 0) + n);
  const [killedWorker, killedClients] = [...byWorker].reduce((a, b) => (b[1] > a[1] ? b : a));
  const pid = cluster.workers.find((w) => w.id === killedWorker)?.pid;
  if (!pid) throw new Error(`failover: no pid for ${killedWorker}`);
  // Clients live on other machines: in the storm they must not wait behind the servers for the
  // cores, or their own timeouts fire before they read the answers waiting for them.
  try {
    for (const g of generators) setPriority(g.process.pid!, 0);
  } catch (error) {
    log(`failover: generators stay at their niceness (${(error as Error).message}): raising it back needs root`);
  }
  log(`failover: kill -9 ${killedWorker} (pid ${pid}) holding ${killedClients} clients`);
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');

  let state: GeneratorReport[] = [];
  for (;;) {
    await sleep(1_000);
    state = await reports(generators);
    const losses = state.flatMap((r) => r.losses.filter((l) => l.workerId === killedWorker));
    const back = losses.filter((l) => l.backAfterMs >= 0).length;
    const waited = performance.now() - killedAt;
    log(`failover: ${Math.round(waited / 1000)} s: ${back} of ${killedClients} back`);
    if ((losses.length >= killedClients && back === losses.length) || waited > STORM_LIMIT_MS) break;
  }
  const waitedSeconds = Math.round((performance.now() - killedAt) / 100) / 10;
  const losses = state.flatMap((r) => r.losses);
  const mine = losses.filter((l) => l.workerId === killedWorker);
  const times = mine.filter((l) => l.backAfterMs >= 0).map((l) => l.lostAtMs + l.backAfterMs).sort((a, b) => a - b);
  // Time from the kill to each client's return; a client not back counts as the limit.
  const fromKill = [...times, ...Array<number>(killedClients - times.length).fill(STORM_LIMIT_MS)].sort((a, b) => a - b);
  const curve = Array.from({ length: Math.ceil(waitedSeconds) }, (_, s) => times.filter((t) => t <= (s + 1) * 1000).length);
  const resolves: ResolveCounts = { ok: 0, overloaded: 0, otherStatus: 0, failed: 0, failedBy: {} };
  for (const { resolves: r } of state) {
    resolves.ok += r.ok;
    resolves.overloaded += r.overloaded;
    resolves.otherStatus += r.otherStatus;
    resolves.failed += r.failed;
    for (const [code, n] of Object.entries(r.failedBy)) resolves.failedBy[code] = (resolves.failedBy[code] ?? 0) + n;
  }
  return {
    killedWorker, killedClients, rehomed: times.length,
    rehomeMs: { p50: Math.round(percentile(fromKill, 50)), p99: Math.round(percentile(fromKill, 99)), max: Math.round(fromKill.at(-1) ?? 0) },
    curve, othersDisturbed: losses.length - mine.length, resolves, waitedSeconds,
  };
}

export function stormMarkdown(s: StormResult): string {
  const r = s.resolves;
  return [
    `Failover at that size: \`kill -9\` of ${s.killedWorker}, which held **${s.killedClients}** clients. Time from the kill until a client is connected to another worker:`,
    '',
    '| re-homed | p50 | p99 | max | clients of other workers disturbed |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${s.rehomed} of ${s.killedClients} | ${s.rehomeMs.p50} ms | **${s.rehomeMs.p99} ms** | ${s.rehomeMs.max} ms | ${s.othersDisturbed} |`,
    '',
    `Re-homed by the end of each second after the kill: ${s.curve.join(', ')}.`,
    `GET /ws-endpoint during the storm: ${r.ok} endpoints, ${r.overloaded} \`503 OVERLOADED\`, ${r.otherStatus} other answers, ${r.failed} without an answer${r.failed ? ` (${Object.entries(r.failedBy).map(([code, n]) => `${code} ${n}`).join(', ')})` : ''}.`,
  ].join('\n');
}
