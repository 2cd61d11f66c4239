// Data-path benchmark: closed-loop acknowledged echoes (100-byte payload) through each system of
// bench/peers/servers.ts, first WebSocket-only clients, then polling-only ones, each client from its
// own loopback address. Throughput is acks per second over the measuring window (after a warm-up),
// latency p50/p99 is over the acks of that window. Systems run interleaved in every run, so a slow
// phase of the (shared, 2-core) machine hits all of them; ratios are taken per run, then the median.
//   node dist/bench/data-path.js [--ws 500 --polling 200 --seconds 5 --runs 3]
// (connection setup: node dist/bench/connect.js)
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { clientAddress, connectTo, type DemoSocket } from '../src/testing/clients.js';
import { percentile, spread, type Spread } from './stats.js';
import { parseSystems, startSystems, stopSystems, SYSTEMS, treeCpuSeconds, type RunningSystem, type SystemName } from './peers/servers.js';

export type Transport = 'websocket' | 'polling';
export const PAYLOAD = 'x'.repeat(100);
const BATCH = 100;
const ACK_TIMEOUT_MS = 10_000;
/** After closing a phase's clients, before the next phase: let servers notice the goodbyes. */
const SETTLE_MS = 500;

/**
 * The address of client i of n. Clients alternate over at least two /24 networks: nginx ip_hash
 * keys on the first three octets only, so a phase under 250 clients taken in order from
 * clientAddress() would sit in one /24 and all land on one upstream.
 */
export function spreadAddress(i: number, n: number): string {
  const networks = Math.max(2, Math.ceil(n / 250));
  return clientAddress((i % networks) * 250 + Math.floor(i / networks));
}

/** Counts errors and keeps the first few messages, so a broken system says why. */
export class Errors {
  count = 0;
  readonly first: string[] = [];
  add(message: string): void {
    this.count++;
    if (this.first.length < 5 && !this.first.includes(message)) this.first.push(message);
  }
}

/** Connect n clients in parallel batches, the way a real client does it (resolve, then connect). */
export async function connectMany(system: RunningSystem, n: number, transports: Transport[], errors: Errors): Promise<DemoSocket[]> {
  const sockets: DemoSocket[] = [];
  for (let first = 0; first < n; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - first) }, async (_, k) => {
      const localAddress = spreadAddress(first + k, n);
      const endpoint = await system.endpoint(localAddress);
      return connectTo(endpoint, { localAddress, transports });
    });
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === 'fulfilled') sockets.push(outcome.value);
      else errors.add(`connect: ${(outcome.reason as Error).message}`);
    }
  }
  return sockets;
}

export async function closeAll(sockets: DemoSocket[]): Promise<void> {
  for (const socket of sockets) socket.close();
  await sleep(SETTLE_MS);
}


interface PhaseSample {
  acksPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  acks: number;
  /** CPU time of every process of the system (front, proxy, primary, workers) per ack, in µs. */
  serverCpuUsPerAck: number;
  /** CPU time of this process (the load generator) per ack, in µs. */
  clientCpuUsPerAck: number;
  /** Clients per worker, e.g. "n0 250 / n1 250". */
  split: string;
  workersUsed: number;
}

async function runPhase(system: RunningSystem, transport: Transport, n: number, seconds: number, warmupMs: number, errors: Errors): Promise<PhaseSample> {
  const sockets = await connectMany(system, n, [transport], errors);
  let stopped = false;
  try {
    // Where the clients landed: the point of ip_hash vs least-connection vs rendezvous hashing.
    const perWorker = new Map<string, number>();
    await Promise.all(
      sockets.map(async (socket) => {
        try {
          const me = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('whoami');
          perWorker.set(me.workerId, (perWorker.get(me.workerId) ?? 0) + 1);
        } catch (error) {
          errors.add(`whoami: ${(error as Error).message}`);
        }
      }),
    );
    for (const socket of sockets) {
      socket.on('disconnect', (reason) => {
        if (!stopped) errors.add(`disconnected during the load: ${reason}`);
      });
    }

    const from = performance.now() + warmupMs;
    const to = from + seconds * 1000;
    const latencies: number[] = [];
    let inFlight = 0;
    // Closed loop: each client sends its next echo as soon as the previous one is acknowledged.
    const loop = (socket: DemoSocket) => {
      if (stopped || !socket.connected) return;
      const sent = performance.now();
      inFlight++;
      socket.timeout(ACK_TIMEOUT_MS).emit('echo', PAYLOAD, (error: Error | null, echoed: unknown) => {
        inFlight--;
        const acked = performance.now();
        if (error) errors.add(`echo: ${error.message}`);
        else if (echoed !== PAYLOAD) errors.add('echo: the ack did not carry the payload');
        else if (acked >= from && acked <= to) latencies.push(acked - sent);
        loop(socket);
      });
    };
    sockets.forEach(loop);
    // CPU per ack is the fairer figure on a shared 2-core machine where the load generator itself
    // competes for the cores: it does not depend on how much CPU was left over for the servers.
    await sleep(from - performance.now());
    const serverCpu = treeCpuSeconds(system.pids);
    const clientCpu = process.cpuUsage();
    await sleep(to - performance.now());
    const serverCpuSeconds = treeCpuSeconds(system.pids) - serverCpu;
    const clientCpuUsage = process.cpuUsage(clientCpu);
    stopped = true;
    for (const deadline = Date.now() + ACK_TIMEOUT_MS; inFlight > 0 && Date.now() < deadline; ) await sleep(20);

    const sorted = Float64Array.from(latencies).sort();
    const split = [...perWorker].sort(([a], [b]) => a.localeCompare(b));
    return {
      acksPerSecond: sorted.length / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      acks: sorted.length,
      serverCpuUsPerAck: (serverCpuSeconds * 1e6) / sorted.length,
      clientCpuUsPerAck: (clientCpuUsage.user + clientCpuUsage.system) / sorted.length,
      split: split.map(([id, count]) => `${id} ${count}`).join(' / '),
      workersUsed: split.length,
    };
  } finally {
    stopped = true;
    await closeAll(sockets);
  }
}

export interface SystemFigures {
  acksPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** Acks in all measuring windows together. */
  acks: number;
  serverCpuUsPerAck: Spread;
  clientCpuUsPerAck: Spread;
  errors: number;
  firstErrors: string[];
  /** Distinct client splits over the workers seen in the runs. */
  splits: string[];
}

export interface Versus {
  throughput: Spread;
  p99: Spread;
  serverCpuPerAck: Spread;
}

export interface TransportFigures {
  clients: number;
  systems: Partial<Record<SystemName, SystemFigures>>;
  /** The reference (sioroute unless told) against each peer, per-run ratios: throughput (higher is better), p99 and server CPU per ack (lower is better). */
  vs: Partial<Record<SystemName, Versus>>;
  /** One sioroute worker (sioroute1) against the bare process, per run: the per-worker comparison. */
  oneWorkerVsBare?: Versus;
  /** (sioroute acks/s / its workers) / bare acks/s, per run: bound by the machine's cores here. */
  perWorkerVsBare?: Spread;
}

export interface DataPathResult {
  seconds: number;
  warmupSeconds: number;
  runs: number;
  payloadBytes: number;
  systems: SystemName[];
  websocket: TransportFigures;
  polling: TransportFigures;
  /** Anything that makes the figures untrustworthy: errors, silent systems, one-sided splits. */
  problems: string[];
}

export async function runDataPath(options: {
  wsClients: number;
  pollingClients: number;
  seconds: number;
  runs: number;
  systems?: string[];
  /** Every ratio is this system ÷ a peer. @default 'sioroute' */
  reference?: SystemName;
  log?: (line: string) => void;
}): Promise<DataPathResult> {
  const reference = options.reference ?? 'sioroute';
  const names = parseSystems(options.systems, reference, DATA_PATH_SYSTEMS);
  const log = options.log ?? (() => {});
  const warmupMs = Math.min(1000, options.seconds * 500);
  const clients: Record<Transport, number> = { websocket: options.wsClients, polling: options.pollingClients };
  const samples = { websocket: new Map<SystemName, PhaseSample[]>(), polling: new Map<SystemName, PhaseSample[]>() };
  const errors = { websocket: new Map<SystemName, Errors>(), polling: new Map<SystemName, Errors>() };
  for (const t of ['websocket', 'polling'] as const) for (const name of names) (samples[t].set(name, []), errors[t].set(name, new Errors()));

  const systems = await startSystems(names);
  try {
    for (let run = 0; run < options.runs; run++) {
      // Rotate the order too, so no system always runs first (or right after the heaviest).
      const order = systems.map((_, i) => systems[(i + run) % systems.length]!);
      for (const transport of ['websocket', 'polling'] as const) {
        if (clients[transport] === 0) continue;
        for (const system of order) {
          const sample = await runPhase(system, transport, clients[transport], options.seconds, warmupMs, errors[transport].get(system.name)!);
          samples[transport].get(system.name)!.push(sample);
          log(`run ${run + 1} ${transport} ${system.name}: ${Math.round(sample.acksPerSecond)} acks/s, p50 ${sample.p50Ms.toFixed(1)} ms, p99 ${sample.p99Ms.toFixed(1)} ms (${sample.split})`);
        }
      }
    }
  } finally {
    await stopSystems(systems);
  }

  const problems: string[] = [];
  const figures = (transport: Transport): TransportFigures => {
    const result: TransportFigures = { clients: clients[transport], systems: {}, vs: {} };
    if (clients[transport] === 0) return result;
    const workersOf = (name: SystemName) => systems.find((s) => s.name === name)!.workers;
    for (const name of names) {
      const list = samples[transport].get(name)!;
      const errs = errors[transport].get(name)!;
      const acks = list.reduce((sum, s) => sum + s.acks, 0);
      result.systems[name] = {
        acksPerSecond: spread(list.map((s) => s.acksPerSecond)),
        p50Ms: spread(list.map((s) => s.p50Ms)),
        p99Ms: spread(list.map((s) => s.p99Ms)),
        acks,
        serverCpuUsPerAck: spread(list.map((s) => s.serverCpuUsPerAck)),
        clientCpuUsPerAck: spread(list.map((s) => s.clientCpuUsPerAck)),
        errors: errs.count,
        firstErrors: errs.first,
        splits: [...new Set(list.map((s) => s.split))],
      };
      if (acks === 0) problems.push(`${name} ${transport}: no echo was acknowledged`);
      if (errs.count > 0) problems.push(`${name} ${transport}: ${errs.count} errors, e.g. ${errs.first.join('; ')}`);
      // ip_hash spreads by /24 only: if the clients' networks all hashed to one upstream, the nginx
      // figures would be those of one process. (sticky's least-connection may legitimately pile a
      // burst of connects onto one worker: it counts a session only once the worker reports it.)
      if (name === 'nginx' && list.some((s) => s.workersUsed < workersOf(name))) problems.push(`${name} ${transport}: not every worker got clients (${result.systems[name].splits.join(', ')})`);
    }
    const versus = (ours: PhaseSample[], theirs: PhaseSample[]): Versus => ({
      throughput: spread(ours.map((s, i) => s.acksPerSecond / theirs[i]!.acksPerSecond)),
      p99: spread(ours.map((s, i) => s.p99Ms / theirs[i]!.p99Ms)),
      serverCpuPerAck: spread(ours.map((s, i) => s.serverCpuUsPerAck / theirs[i]!.serverCpuUsPerAck)),
    });
    const ours = samples[transport].get(reference)!;
    // sioroute1 is not a peer: it is sioroute, set up to be compared with the bare process below.
    for (const peer of names.filter((n) => n !== reference && n !== 'sioroute1')) result.vs[peer] = versus(ours, samples[transport].get(peer)!);
    if (names.includes('sioroute1') && names.includes('bare')) result.oneWorkerVsBare = versus(samples[transport].get('sioroute1')!, samples[transport].get('bare')!);
    if (names.includes('bare')) {
      const bare = samples[transport].get('bare')!;
      result.perWorkerVsBare = spread(ours.map((s, i) => s.acksPerSecond / workersOf(reference) / bare[i]!.acksPerSecond));
    }
    return result;
  };
  return { seconds: options.seconds, warmupSeconds: warmupMs / 1000, runs: options.runs, payloadBytes: PAYLOAD.length, systems: names, websocket: figures('websocket'), polling: figures('polling'), problems };
}

/** The data path's default systems: the peers, and sioroute with one worker for the per-worker figure. */
export const DATA_PATH_SYSTEMS: readonly SystemName[] = [...SYSTEMS, 'sioroute1'];

export const LABELS: Record<SystemName, string> = { sioroute: 'sioroute (2 workers)', sioroute1: 'sioroute (1 worker)', nginx: 'nginx ip_hash (2 upstreams)', sticky: '@socket.io/sticky (2 workers)', bare: 'bare socket.io (1 process)', single: 'sioroute single-port (2 workers)' };
const TRANSPORT_LABELS: Record<Transport, string> = { websocket: 'WebSocket', polling: 'polling' };

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
export const fmt = (s: Spread, f: (v: number) => string) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
export const int = (v: number) => String(Math.round(v));
export const ratio = (v: number) => `${v.toFixed(2)}x`;

/** A target next to its figure: met or missed, by the median. */
const target = (s: Spread, op: '>=' | '<=', goal: number) => `${op === '>=' ? '≥' : '≤'} ${goal}x: ${(op === '>=' ? s.median >= goal : s.median <= goal) ? 'met' : '**missed**'}`;

/**
 * When the cores are saturated, throughput follows the total CPU an ack costs: the servers' and the
 * load generator's. The generator's share is the same for every system, so it caps the throughput
 * ratio below the servers' own CPU ratio. Says so for nginx, with the figures of the run.
 */
export function generatorBound(r: DataPathResult): string | undefined {
  const lines: string[] = [];
  for (const t of ['websocket', 'polling'] as const) {
    const ours = r[t].systems.sioroute;
    const nginx = r[t].systems.nginx;
    if (!ours || !nginx || r[t].clients === 0) continue;
    const total = (f: SystemFigures) => f.serverCpuUsPerAck.median + f.clientCpuUsPerAck.median;
    lines.push(
      `- ${TRANSPORT_LABELS[t]}: the generator spends ${int(ours.clientCpuUsPerAck.median)} µs per ack against sioroute's ${int(ours.serverCpuUsPerAck.median)} µs and nginx's ${int(nginx.serverCpuUsPerAck.median)} µs (servers, all processes); saturated, the throughput ratio can reach about (${int(nginx.serverCpuUsPerAck.median)} + ${int(nginx.clientCpuUsPerAck.median)}) ÷ (${int(ours.serverCpuUsPerAck.median)} + ${int(ours.clientCpuUsPerAck.median)}) = ${ratio(total(nginx) / total(ours))}, while nginx's servers spend ${ratio(nginx.serverCpuUsPerAck.median / ours.serverCpuUsPerAck.median)} sioroute's CPU per ack.`,
    );
  }
  if (lines.length === 0) return undefined;
  return ['How far the throughput ratio against nginx can go on this machine, where the load generator shares the cores (medians of the runs):', '', ...lines].join('\n');
}

export function dataPathMarkdown(r: DataPathResult): string {
  const transports = (['websocket', 'polling'] as const).filter((t) => r[t].clients > 0);
  const lines = [
    `Closed-loop acknowledged \`echo\`, ${r.payloadBytes}-byte payload, each client from its own loopback address; ${r.runs} run(s) of ${r.seconds} s after ${r.warmupSeconds} s warm-up, systems interleaved; median (min-max).`,
    '',
    '| system | transport | clients | acks/s | p50 ms | p99 ms | server CPU µs/ack | client CPU µs/ack | clients per worker | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const t of transports) {
    for (const name of r.systems) {
      const f = r[t].systems[name]!;
      lines.push(`| ${LABELS[name]} | ${TRANSPORT_LABELS[t]} | ${r[t].clients} | ${fmt(f.acksPerSecond, int)} | ${fmt(f.p50Ms, ms)} | ${fmt(f.p99Ms, ms)} | ${fmt(f.serverCpuUsPerAck, int)} | ${fmt(f.clientCpuUsPerAck, int)} | ${f.splits.join(', ')} | ${f.errors} |`);
    }
  }
  lines.push('', '| sioroute against | transport | throughput ratio | target | p99 ratio | target | server CPU/ack ratio |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const t of transports) {
    for (const [peer, vs] of Object.entries(r[t].vs) as [SystemName, Versus][]) {
      const throughputTarget = peer === 'nginx' ? target(vs.throughput, '>=', 1.3) : peer === 'sticky' && t === 'polling' ? target(vs.throughput, '>=', 2) : '';
      const p99Target = peer === 'nginx' ? target(vs.p99, '<=', 0.7) : '';
      lines.push(`| ${LABELS[peer]} | ${TRANSPORT_LABELS[t]} | ${fmt(vs.throughput, ratio)} | ${throughputTarget} | ${fmt(vs.p99, ratio)} | ${p99Target} | ${fmt(vs.serverCpuPerAck, ratio)} |`);
    }
    const one = r[t].oneWorkerVsBare;
    if (one) lines.push(`| bare, per worker: sioroute (1 worker) ÷ bare | ${TRANSPORT_LABELS[t]} | ${fmt(one.throughput, ratio)} | ${target(one.throughput, '>=', 0.9)} | ${fmt(one.p99, ratio)} | | ${fmt(one.serverCpuPerAck, ratio)} |`);
    const perWorker = r[t].perWorkerVsBare;
    if (perWorker) lines.push(`| bare, sioroute (2 workers) acks/s ÷ 2 | ${TRANSPORT_LABELS[t]} | ${fmt(perWorker, ratio)} | (machine-bound) | | | |`);
  }
  lines.push(
    '',
    'Ratios are sioroute ÷ peer, computed per run. Server CPU counts every process of the system (sioroute: supervisor, front, workers; nginx: master, workers, upstreams; sticky: primary, workers). The load generator is one Node process on the same 2 cores.',
    '',
    'Per worker: sioroute with one worker (front and supervisor included) against the bare process, both on the same CPU; the target is ≥ 0.9x. Dividing the 2-worker figure by 2 measures the machine instead: its 2 cores hold both workers and the load generator, so two workers cannot do twice the work of one here.',
  );
  const bound = generatorBound(r);
  if (bound) lines.push('', bound);
  if (r.problems.length) lines.push('', `**Problems:** ${r.problems.join('; ')}`);
  return lines.join('\n');
}

// Run as a script: markdown on stdout, progress on stderr. Not top-level await: connect.ts imports
// this module, and a module still awaiting at top level cannot be imported back.
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ws: { type: 'string', default: '500' },
      polling: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      systems: { type: 'string' },
    },
  });
  const count = (name: string, value: string | undefined, max: number) => {
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= 0 && n <= max)) throw new Error(`--${name}: expected an integer from 0 to ${max}`);
    return n;
  };
  const systems = values.systems?.split(',');
  const runs = count('runs', values.runs, 9);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const dataPath = await runDataPath({ wsClients: count('ws', values.ws, 3000), pollingClients: count('polling', values.polling, 2000), seconds: count('seconds', values.seconds, 60), runs, ...(systems ? { systems } : {}), log });
  process.stdout.write(`## Data path\n\n${dataPathMarkdown(dataPath)}\n\n`);
  process.stdout.write(`(took ${Math.round((Date.now() - started) / 1000)} s)\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
