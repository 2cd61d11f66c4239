// Capacity of the embedded default (WORKERS=2): memory per idle WebSocket connection on a worker,
// and how many idle connections the cluster holds before echo latency p99 passes a limit.
//   node dist/bench/capacity.js [--max 20000 --step 2500 --p99-limit-ms 100 --generators 3]
// Idle clients live in generator processes (bench/capacity-generator.ts), each client from its own
// loopback address (clientAddress(i)); the echo probes run here, so their timings do not queue
// behind thousands of idle clients. Bounded in count and time; loopback only.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { clientAddress, connectClient, httpGet, resolveEndpoint, type DemoSocket } from '../src/testing/clients.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import type { GeneratorCommand, GeneratorReply } from './capacity-generator.js';
import { percentile } from './stats.js';

export interface CapacityOptions {
  maxConnections: number;
  step: number;
  p99LimitMs: number;
  generators: number;
  /** Idle clients pinned to one worker for the memory figure. @default min(2000, maxConnections) */
  memoryConnections?: number;
  log?: (line: string) => void;
}
export interface CapacityStep {
  /** Idle connections asked for (probes not included). */
  target: number;
  /** Idle connections open after the step, as the generators count them. */
  open: number;
  failed: number;
  /** Clients the workers report (/status.json), probes included. */
  serverClients: number;
  openSeconds: number;
  echoes: number;
  echoFailed: number;
  p50Ms: number;
  p99Ms: number;
  workerRssMiB: number[];
}
export interface CapacityResult {
  options: Omit<CapacityOptions, 'log'>;
  node: string;
  memory: { workerId: string; connections: number; rssBeforeMiB: number; rssAfterMiB: number; bytesPerConnection: number; controlDeltaMiB: number };
  probes: { clients: number; seconds: number; periodMs: number };
  steps: CapacityStep[];
  /** Idle connections of the last step whose p99 stayed within the limit. */
  capacity: number;
  stoppedBy: 'p99-limit' | 'maximum' | 'open-failures';
  seconds: number;
}

const GENERATOR_PATH = fileURLToPath(new URL('./capacity-generator.js', import.meta.url));
/** Well under the 20,000 open files one process may hold. */
const MAX_PER_GENERATOR = 9_000;
const PROBES = 50;
const PROBE_SECONDS = 2;
const PROBE_PERIOD_MS = 100;
const ECHO_TIMEOUT_MS = 5_000;
const STEP_DEADLINE_MS = 60_000;
const MIB = 1024 * 1024;

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** VmRSS of a process in bytes; NaN if it is gone (a respawned worker has a new pid). */
function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Median of a few readings per pid: one reading catches the heap mid-collection. */
async function sampleRss(pids: number[], readings = 5): Promise<number[]> {
  const samples: number[][] = pids.map(() => []);
  for (let i = 0; i < readings; i++) {
    if (i > 0) await sleep(300);
    pids.forEach((pid, j) => samples[j]!.push(rssBytes(pid)));
  }
  return samples.map(median);
}

class Generator {
  readonly child: ChildProcess = fork(GENERATOR_PATH, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  /** One command at a time; the answer, or an error when the child dies or takes too long. */
  request(command: GeneratorCommand, timeoutMs: number): Promise<GeneratorReply> {
    const child = this.child;
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, reply?: GeneratorReply) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      const onMessage = (reply: GeneratorReply) => settle(undefined, reply);
      const onExit = (code: number | null) => settle(new Error(`generator ${child.pid} exited with ${String(code)}`));
      const timer = setTimeout(() => settle(new Error(`generator ${child.pid}: no answer to ${command.type} within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Every probe sends an acknowledged echo each PROBE_PERIOD_MS (or when the last returns, if later). */
async function probe(sockets: DemoSocket[]): Promise<{ echoes: number; failed: number; p50Ms: number; p99Ms: number }> {
  const rtts: number[] = [];
  let failed = 0;
  const end = performance.now() + PROBE_SECONDS * 1000;
  await Promise.all(
    sockets.map(async (socket, i) => {
      await sleep(Math.random() * PROBE_PERIOD_MS); // spread the probes' phases
      while (performance.now() < end) {
        const sent = performance.now();
        try {
          await socket.timeout(ECHO_TIMEOUT_MS).emitWithAck('echo', i);
          rtts.push(performance.now() - sent);
        } catch {
          failed++;
          rtts.push(ECHO_TIMEOUT_MS); // a lost echo counts as the slowest possible
        }
        await sleep(Math.max(0, sent + PROBE_PERIOD_MS - performance.now()));
      }
    }),
  );
  rtts.sort((a, b) => a - b);
  return { echoes: rtts.length, failed, p50Ms: round(percentile(rtts, 50), 2), p99Ms: round(percentile(rtts, 99), 2) };
}

async function serverClients(cluster: RunningCluster): Promise<number> {
  return (await httpGet(`${cluster.frontUrl}/status.json`)).json<{ clients: number }>().clients;
}

export async function runCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const { maxConnections, step, p99LimitMs, generators: generatorCount } = options;
  const memoryConnections = options.memoryConnections ?? Math.min(2_000, maxConnections);
  const log = options.log ?? (() => {});
  if (!(step > 0 && maxConnections >= step && generatorCount >= 1)) throw new Error('runCapacity: expected step > 0, maxConnections >= step, generators >= 1');
  if (Math.ceil(maxConnections / generatorCount) > MAX_PER_GENERATOR || memoryConnections > MAX_PER_GENERATOR) {
    throw new Error(`runCapacity: keep each generator under ${MAX_PER_GENERATOR} connections (use more generators)`);
  }
  const started = Date.now();
  // A long token lifetime only so the pinned memory clients may all share one token.
  const cluster = await startCluster({ env: { WORKERS: '2', TOKEN_TTL_SECONDS: '600' }, timeoutMs: 60_000 });
  const generators = Array.from({ length: generatorCount }, () => new Generator());
  const probes: DemoSocket[] = [];
  try {
    const pids = cluster.workers.map((w) => w.pid);
    const open = (g: Generator, command: Omit<Extract<GeneratorCommand, { type: 'open' }>, 'type' | 'frontUrl' | 'deadline'>) =>
      g.request({ type: 'open', frontUrl: cluster.frontUrl, deadline: Date.now() + STEP_DEADLINE_MS, ...command }, STEP_DEADLINE_MS + 30_000) as Promise<Extract<GeneratorReply, { type: 'opened' }>>;

    // 1. Memory: K idle clients pinned to one worker (one shared token), the other worker as control.
    const pinned = await resolveEndpoint(cluster.frontUrl, clientAddress(0));
    const target = cluster.workers.findIndex((w) => w.id === pinned.workerId);
    const order = [pids[target]!, pids[1 - target]!];
    await sleep(2_000);
    const before = await sampleRss(order);
    const opened = await open(generators[0]!, { from: 0, count: memoryConnections, endpoint: pinned });
    await sleep(3_000);
    const after = await sampleRss(order);
    const memory = {
      workerId: pinned.workerId,
      connections: opened.open,
      rssBeforeMiB: round(before[0]! / MIB),
      rssAfterMiB: round(after[0]! / MIB),
      bytesPerConnection: Math.round((after[0]! - before[0]!) / Math.max(1, opened.open)),
      controlDeltaMiB: round((after[1]! - before[1]!) / MIB),
    };
    log(`memory: ${opened.open} idle clients on ${memory.workerId}: ${memory.bytesPerConnection} bytes each (${opened.failed} failed)`);
    await generators[0]!.request({ type: 'close' }, 30_000);
    for (const deadline = Date.now() + 15_000; (await serverClients(cluster)) > 0 && Date.now() < deadline; ) await sleep(250);

    // 2. Ramp. Probe clients resolve through the front like everyone else, so they sit on both workers.
    const probeBase = memoryConnections;
    probes.push(...(await Promise.all(Array.from({ length: PROBES }, (_, i) => connectClient(cluster.frontUrl, clientAddress(probeBase + i), { transports: ['websocket'] })))).map((c) => c.socket));
    const rampBase = probeBase + PROBES;
    const steps: CapacityStep[] = [];
    let stoppedBy: CapacityResult['stoppedBy'] = 'maximum';
    for (let total = 0; total <= maxConnections; ) {
      const previous = steps.at(-1)?.target ?? 0;
      const added = total - previous;
      const openedAt = Date.now();
      let idle = 0;
      let failed = 0;
      if (added > 0) {
        // Contiguous address ranges, one per generator, after everything opened so far.
        const share = Math.ceil(added / generators.length);
        const replies = await Promise.all(
          generators.map((g, i) => open(g, { from: rampBase + previous + i * share, count: Math.max(0, Math.min(share, added - i * share)) })),
        );
        idle = replies.reduce((sum, r) => sum + r.open, 0);
        failed = replies.reduce((sum, r) => sum + r.failed, 0);
        for (const r of replies) if (r.firstError) log(`step ${total}: first failure: ${r.firstError}`);
      }
      const openSeconds = round((Date.now() - openedAt) / 1000);
      await sleep(1_000); // let the connect burst settle before timing
      const echo = await probe(probes);
      const row: CapacityStep = {
        target: total, open: idle, failed, serverClients: await serverClients(cluster), openSeconds,
        echoes: echo.echoes, echoFailed: echo.failed, p50Ms: echo.p50Ms, p99Ms: echo.p99Ms,
        workerRssMiB: pids.map((pid) => round(rssBytes(pid) / MIB)),
      };
      steps.push(row);
      log(`step ${total}: ${idle} open (${failed} failed) in ${openSeconds} s; echo p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms; worker RSS ${row.workerRssMiB.join(' / ')} MiB`);
      if (row.p99Ms > p99LimitMs) {
        stoppedBy = 'p99-limit';
        break;
      }
      if (idle < 0.99 * total) {
        stoppedBy = 'open-failures';
        break;
      }
      if (total === maxConnections) break;
      total = Math.min(total + step, maxConnections);
    }
    const passing = stoppedBy === 'maximum' ? steps : steps.slice(0, -1);
    return {
      options: { maxConnections, step, p99LimitMs, generators: generatorCount, memoryConnections },
      node: process.version,
      memory,
      probes: { clients: PROBES, seconds: PROBE_SECONDS, periodMs: PROBE_PERIOD_MS },
      steps,
      capacity: passing.at(-1)?.open ?? 0,
      stoppedBy,
      seconds: round((Date.now() - started) / 1000),
    };
  } finally {
    for (const socket of probes) socket.close();
    await Promise.all(generators.map((g) => g.stop()));
    await cluster.stop();
  }
}

export function capacityMarkdown(result: CapacityResult): string {
  const m = result.memory;
  const { maxConnections, p99LimitMs, generators } = result.options;
  const verdict = {
    'maximum': `at least **${result.capacity}** idle WebSocket connections (the most tried) with echo p99 ≤ ${p99LimitMs} ms`,
    'p99-limit': `**${result.capacity}** idle WebSocket connections; echo p99 passed ${p99LimitMs} ms at the next step`,
    'open-failures': `**${result.capacity}** idle WebSocket connections; the next step could not open its connections`,
  }[result.stoppedBy];
  return [
    `Memory per idle WebSocket connection: **${(m.bytesPerConnection / 1024).toFixed(1)} KiB** (RSS of ${m.workerId} from ${m.rssBeforeMiB} to ${m.rssAfterMiB} MiB with ${m.connections} idle clients pinned to it; the other worker moved ${m.controlDeltaMiB} MiB; medians of 5 readings of /proc VmRSS, after a 3 s settle).`,
    '',
    `Echo latency while idle WebSocket connections ramp up to ${maxConnections} on the embedded default (WORKERS=2), held by ${generators} generator processes; ${result.probes.clients} probe clients each send an acknowledged echo every ${result.probes.periodMs} ms for ${result.probes.seconds} s after every step (Node ${result.node}).`,
    '',
    '| idle connections | open (failed) | clients on the workers | opened in | echoes (lost) | p50 | p99 | worker RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.steps.map((s) => `| ${s.target} | ${s.open} (${s.failed}) | ${s.serverClients} | ${s.openSeconds} s | ${s.echoes} (${s.echoFailed}) | ${s.p50Ms} ms | ${s.p99Ms} ms | ${s.workerRssMiB.join(' / ')} MiB |`),
    '',
    `Capacity: ${verdict}. Whole run ${result.seconds} s.`,
  ].join('\n');
}

// Run as a script (full size by default); importing the module runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      max: { type: 'string', default: '20000' }, step: { type: 'string', default: '2500' },
      'p99-limit-ms': { type: 'string', default: '100' }, generators: { type: 'string', default: '3' }, out: { type: 'string' },
    },
  });
  const result = await runCapacity({
    maxConnections: Number(values.max), step: Number(values.step), p99LimitMs: Number(values['p99-limit-ms']), generators: Number(values.generators),
    log: (line) => process.stdout.write(`capacity: ${line}\n`),
  });
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`\n${capacityMarkdown(result)}\n`);
}
