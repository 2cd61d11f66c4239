// Capacity of the embedded default with enough workers: idle WebSocket clients ramp up in steps
// while echo clients keep echoing, and every step reports connections, echo latency, connect
// rate, each worker's RSS and the supervisor's and front's CPU. Then one worker holding its share
// is killed with -9 and its clients' way back is timed (bench/capacity-failover.ts).
//   node dist/bench/capacity.js [--max 200000 --step 25000 --workers 12 --generators 12]
// Idle clients are the product's client (sioroute/client), each from its own loopback address, in
// generator processes (bench/capacity-generator.ts). Bounded in count and time; loopback only.
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../src/testing/cluster-process.js';
import type { GeneratorReply } from './capacity-generator.js';
import { reports, runFailoverStorm, stormMarkdown, type Generator, type StormResult } from './capacity-failover.js';
import { EchoLoad, type EchoWindow } from './echo-load.js';
import { IpcChild } from './ipc-child.js';
import { conntrack, cpuSeconds, memAvailableBytes, rssBytes } from './proc-stats.js';
import { replaceReportSection } from './report-section.js';

export interface CapacityOptions {
  maxConnections: number;
  step: number;
  workers: number;
  generators: number;
  /** Clients echoing throughout, each once a second. @default 500 */
  echoClients?: number;
  p99LimitMs: number;
  /** Each step's echo window, after the machine has settled. @default 5000 */
  echoWindowMs?: number;
  /** Kill a worker at the end and time its clients' way back. @default true */
  failover?: boolean;
  log?: (line: string) => void;
}
export interface CapacityStep extends EchoWindow {
  target: number;
  /** Echo p99 while this step's connections were opening. */
  rampP99Ms: number;
  /** Seconds from the last connect of the step until the machine was quiet again (the echo window follows). */
  settleSeconds: number;
  /** Idle clients connected after the step, as the generators count them. */
  open: number;
  failed: number;
  openSeconds: number;
  connectsPerSecond: number;
  workerRssMiB: number[];
  /** CPU used during the step (ramp and echo window), in % of one core. */
  supervisorCpuPct: number;
  frontCpuPct: number;
  generatorRssMiB: number;
  conntrackCount: number | null;
  memAvailableGiB: number;
}
export interface CapacityResult {
  /** When it was measured (it may be measured apart from the rest of the report). */
  measuredAt: string;
  options: Omit<CapacityOptions, 'log'>;
  node: string;
  steps: CapacityStep[];
  /** Idle connections of the last step that held (every client open, echo p99 within the limit). */
  capacity: number;
  stoppedBy: 'p99-limit' | 'maximum' | 'open-failures';
  /** Marginal RSS per connection, all workers, between the steps nearest half and all of the capacity. */
  marginal: { from: number; to: number; bytesPerConnection: number } | null;
  conntrackMax: number | null;
  failover: StormResult | null;
  seconds: number;
}

const GENERATOR_PATH = fileURLToPath(new URL('./capacity-generator.js', import.meta.url));
/** A generator holds at most this many clients: each is one open file, and a process may hold 20,000. */
export const MAX_PER_GENERATOR = 18_000;
const ECHO_PERIOD_MS = 1_000;
/** Generators play clients on other machines: the servers come first on the 2 cores. */
const GENERATOR_NICE = 10;
const ECHO_WINDOW_MS = 5_000;
/** The echo window waits until the servers and generators together use under this many cores... */
const QUIET_CORES = 0.6;
/** ...or this long: what latency is at N open connections, not in the wake of connecting them. */
const SETTLE_MAX_MS = 30_000;
const STEP_DEADLINE_MS = 240_000;
const MIB = 2 ** 20;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const { maxConnections, step, workers, generators: generatorCount, p99LimitMs } = options;
  const echoClients = options.echoClients ?? 500;
  const log = options.log ?? (() => {});
  if (!(step > 0 && maxConnections >= step && generatorCount >= 1 && workers >= 1)) throw new Error('runCapacity: expected step > 0, maxConnections >= step, generators >= 1, workers >= 1');
  if (Math.ceil(maxConnections / generatorCount) > MAX_PER_GENERATOR) throw new Error(`runCapacity: keep each generator under ${MAX_PER_GENERATOR} clients (use more generators)`);
  const started = Date.now();
  const cluster = await startCluster({ env: { WORKERS: String(workers), LOG_LEVEL: 'info' }, timeoutMs: 120_000 });
  const generators: Generator[] = Array.from({ length: generatorCount }, () => {
    // Big heaps: one generator may hold some 17,000 clients.
    const generator: Generator = new IpcChild(GENERATOR_PATH, ['--max-old-space-size=4096']);
    setPriority(generator.process.pid!, GENERATOR_NICE);
    return generator;
  });
  const echo = new EchoLoad();
  try {
    const workerPids = () => cluster.workers.map((w) => w.pid);
    const supervisorPid = cluster.process.pid!;
    // Echo clients take the first addresses; the idle ones follow.
    await echo.start(cluster.frontUrl, echoClients, 0, ECHO_PERIOD_MS);
    const idleBase = echoClients;
    const steps: CapacityStep[] = [];
    let stoppedBy: CapacityResult['stoppedBy'] = 'maximum';
    for (let total = 0; ; total = Math.min(total + step, maxConnections)) {
      const previous = steps.at(-1)?.target ?? 0;
      const added = total - previous;
      const cpu0 = [cpuSeconds(supervisorPid), cpuSeconds(cluster.frontPid)];
      const workerCpu0 = workerPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const generatorCpu0 = (await reports(generators)).reduce((sum, r) => sum + r.cpuSeconds, 0);
      const t0 = performance.now();
      let failed = 0;
      if (added > 0) {
        const share = Math.ceil(added / generators.length);
        const replies = await Promise.all(generators.map((g, i) => g.request(
          { type: 'open', frontUrl: cluster.frontUrl, from: idleBase + previous + i * share, count: Math.max(0, Math.min(share, added - i * share)), deadline: Date.now() + STEP_DEADLINE_MS },
          STEP_DEADLINE_MS + 60_000,
        ))) as Extract<GeneratorReply, { type: 'opened' }>[];
        failed = replies.reduce((sum, r) => sum + r.failed, 0);
      }
      const openSeconds = (performance.now() - t0) / 1000;
      const rampWindow = echo.window(t0, performance.now());
      const workerCpuOpen = workerPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0) - workerCpu0;
      const frontCpuOpen = cpuSeconds(cluster.frontPid) - cpu0[1]!;
      const generatorCpuOpen = (await reports(generators)).reduce((sum, r) => sum + r.cpuSeconds, 0) - generatorCpu0;
      if (added > 0) log(`step ${total}: CPU per connect: workers ${(workerCpuOpen / added * 1e6).toFixed(0)} µs, front ${(frontCpuOpen / added * 1e6).toFixed(0)} µs, generators ${(generatorCpuOpen / added * 1e6).toFixed(0)} µs`);
      const settleSeconds = await settle([supervisorPid, cluster.frontPid, ...workerPids(), ...generators.map((g) => g.process.pid!)]);
      const windowStart = performance.now();
      await sleep(options.echoWindowMs ?? ECHO_WINDOW_MS);
      const window = echo.window(windowStart, performance.now());
      const elapsed = (performance.now() - t0) / 1000;
      const cpu1 = [cpuSeconds(supervisorPid), cpuSeconds(cluster.frontPid)];
      const state = await reports(generators);
      const open = state.reduce((sum, r) => sum + r.connected, 0);
      const row: CapacityStep = {
        target: total, open, failed, openSeconds: round(openSeconds), connectsPerSecond: added > 0 ? Math.round(added / openSeconds) : 0, ...window,
        rampP99Ms: added > 0 ? rampWindow.p99Ms : window.p99Ms, settleSeconds,
        workerRssMiB: workerPids().map((pid) => round(rssBytes(pid) / MIB)),
        supervisorCpuPct: round(((cpu1[0]! - cpu0[0]!) / elapsed) * 100), frontCpuPct: round(((cpu1[1]! - cpu0[1]!) / elapsed) * 100),
        generatorRssMiB: state.reduce((sum, r) => sum + r.rssMiB, 0),
        conntrackCount: conntrack()?.count ?? null,
        memAvailableGiB: round(memAvailableBytes() / 2 ** 30),
      };
      steps.push(row);
      log(`step ${total}: ${open} open (${failed} failed) in ${row.openSeconds} s (${row.connectsPerSecond}/s); echo p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms (${row.echoes}, ${row.lost} lost); workers ${Math.min(...row.workerRssMiB)}–${Math.max(...row.workerRssMiB)} MiB; supervisor ${row.supervisorCpuPct}%, front ${row.frontCpuPct}%`);
      if (row.p99Ms > p99LimitMs) { stoppedBy = 'p99-limit'; break; }
      if (open < 0.99 * total) { stoppedBy = 'open-failures'; break; }
      if (total >= maxConnections) break;
    }
    const held = stoppedBy === 'maximum' ? steps : steps.slice(0, -1);
    const capacity = held.at(-1)?.open ?? 0;
    await echo.stop();
    const failover = options.failover === false || capacity === 0 ? null : await runFailoverStorm({ cluster, generators, log });
    return {
      measuredAt: new Date().toISOString(),
      options: { maxConnections, step, workers, generators: generatorCount, echoClients, p99LimitMs, echoWindowMs: options.echoWindowMs ?? ECHO_WINDOW_MS, failover: options.failover ?? true },
      node: process.version, steps, capacity, stoppedBy, marginal: marginalRss(held), conntrackMax: conntrack()?.max ?? null, failover,
      seconds: round((Date.now() - started) / 1000),
    };
  } finally {
    await echo.stop();
    await Promise.all(generators.map((g) => g.kill()));
    await cluster.stop();
  }
}

/** Wait (at most SETTLE_MAX_MS) until these processes together use under QUIET_CORES over a second; the seconds waited. */
async function settle(pids: number[]): Promise<number> {
  const started = performance.now();
  const total = () => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);
  for (let before = total(); performance.now() - started < SETTLE_MAX_MS; ) {
    await sleep(1_000);
    const now = total();
    if (now - before < QUIET_CORES) break;
    before = now;
  }
  return round((performance.now() - started) / 1000);
}

/** RSS of all workers per added connection between the step nearest half the last one and the last. */
function marginalRss(steps: CapacityStep[]): CapacityResult['marginal'] {
  const last = steps.at(-1);
  if (!last || last.target === 0) return null;
  const half = steps.reduce((best, s) => (Math.abs(s.target - last.target / 2) < Math.abs(best.target - last.target / 2) ? s : best));
  if (half === last || last.open === half.open) return null;
  const sum = (s: CapacityStep) => s.workerRssMiB.reduce((a, b) => a + b, 0) * MIB;
  return { from: half.open, to: last.open, bytesPerConnection: Math.round((sum(last) - sum(half)) / (last.open - half.open)) };
}

export function capacityMarkdown(r: CapacityResult): string {
  const { maxConnections, workers, generators, echoClients, p99LimitMs } = r.options;
  const verdict = {
    'maximum': `at least **${r.capacity}** idle WebSocket connections (the most tried), echo p99 ≤ ${p99LimitMs} ms at every step`,
    'p99-limit': `at least **${r.capacity}**; at the next step echo p99 passed ${p99LimitMs} ms`,
    'open-failures': `at least **${r.capacity}**; the next step could not open all its connections`,
  }[r.stoppedBy];
  return [
    `Idle WebSocket clients ramp up to ${maxConnections} on the embedded default with WORKERS=${workers}, held by ${generators} generator processes at nice ${GENERATOR_NICE} (they stand for clients on other machines, so the servers come first on the shared cores); each client, from its own loopback address, follows sioroute/client's policy (bench/protocol-client.ts). ${echoClients} more clients send an acknowledged echo once a second throughout; each step's echo p50 and p99 are over a ${(r.options.echoWindowMs ?? ECHO_WINDOW_MS) / 1000} s window once its connections are up and the machine has settled (servers and generators together under ${QUIET_CORES} cores for a second, at most ${SETTLE_MAX_MS / 1000} s), and its p99 while connecting is reported beside (Node ${r.node}). CPU: % of one core over the step. Measured on ${r.measuredAt.slice(0, 10)} by \`node dist/bench/capacity.js --max ${maxConnections} --step ${r.options.step} --workers ${workers} --generators ${generators}\`.`,
    '',
    '| idle connections | open (failed) | connects/s | echo p99 while connecting | settled in | echoes (lost) | echo p50 | echo p99 | worker RSS min–max (sum) | supervisor CPU | front CPU | generators RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...r.steps.map((s) => `| ${s.target} | ${s.open} (${s.failed}) | ${s.connectsPerSecond || '-'} | ${s.rampP99Ms} ms | ${s.settleSeconds} s | ${s.echoes} (${s.lost}) | ${s.p50Ms} ms | ${s.p99Ms} ms | ${Math.min(...s.workerRssMiB)}–${Math.max(...s.workerRssMiB)} MiB (${round(s.workerRssMiB.reduce((a, b) => a + b, 0) / 1024, 2)} GiB) | ${s.supervisorCpuPct}% | ${s.frontCpuPct}% | ${round(s.generatorRssMiB / 1024, 1)} GiB |`),
    '',
    `Capacity: ${verdict}.`,
    r.marginal ? `Marginal worker memory between ${r.marginal.from} and ${r.marginal.to} connections: **${(r.marginal.bytesPerConnection / 1024).toFixed(1)} KiB** per connection (RSS of all workers).` : '',
    `Limits at the last step: ${limitsLine(r)}`,
    '',
    r.failover ? stormMarkdown(r.failover) : '',
    `Whole run ${r.seconds} s.`,
  ].filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n');
}

function limitsLine(r: CapacityResult): string {
  const last = r.steps.at(-1)!;
  const perWorker = Math.ceil(last.open / r.options.workers);
  const track = last.conntrackCount === null ? 'no conntrack table on this machine' : `conntrack ${last.conntrackCount} of ${r.conntrackMax} entries`;
  return `about ${perWorker} connections per worker against 20,000 open files per process; ${track}; ${last.memAvailableGiB} GiB of memory still available.`;
}

// Run as a script (full size by default); importing the module runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      max: { type: 'string', default: '200000' }, step: { type: 'string', default: '25000' }, workers: { type: 'string', default: '12' },
      generators: { type: 'string', default: '12' }, 'echo-clients': { type: 'string', default: '500' }, 'p99-limit-ms': { type: 'string', default: '100' },
      'no-failover': { type: 'boolean', default: false }, out: { type: 'string' }, report: { type: 'boolean', default: false },
    },
  });
  const result = await runCapacity({
    maxConnections: Number(values.max), step: Number(values.step), workers: Number(values.workers), generators: Number(values.generators),
    echoClients: Number(values['echo-clients']), p99LimitMs: Number(values['p99-limit-ms']), failover: !values['no-failover'],
    log: (line) => process.stdout.write(`capacity: ${line}\n`),
  });
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  if (values.report) replaceReportSection('capacity', { result, seconds: result.seconds });
  process.stdout.write(`\n${capacityMarkdown(result)}\n`);
}
