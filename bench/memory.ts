// Memory per idle WebSocket connection, as the marginal cost between two large steps (not the
// average of a small count, which carries each process's base): for each system, idle clients go
// up to `low`, then to `high`, spread evenly over `processes` server processes, and the figure is
// (sum of the processes' RSS at high - at low) / (connections at high - at low). Systems, in one
// run: the layers under socket.io (tcp, ws, engine.io), bare socket.io, and the sioroute worker on
// the embedded default (`sioroute start`), alone and with each lever on its own. Layer processes
// also report heap after two full collections (they run with --expose-gc); sioroute's workers are
// read from /proc only, like the others' RSS. Clients: bench/memory-generator.ts, in processes of
// their own, each client from its own loopback address. Bounded in count and time; loopback only.
//   node dist/bench/memory.js [--low 50000 --high 100000 --processes 6 --systems tcp,ws,...] [--report]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import { clientAddress, resolveEndpoint } from '../src/testing/clients.js';
import { IpcChild } from './ipc-child.js';
import type { ClientMode, MemoryGeneratorCommand, MemoryGeneratorReply, Target } from './memory-generator.js';
import { memoryMarkdown } from './memory-markdown.js';
import type { Layer, MemoryServerCommand, MemoryServerReply } from './memory-server.js';
import { rssBytes } from './proc-stats.js';

export { memoryMarkdown } from './memory-markdown.js';

interface SystemSpec {
  readonly label: string;
  readonly mode: ClientMode;
  /** A layer process (bench/memory-server.ts), or sioroute's embedded default with this environment. */
  readonly layer?: Layer;
  readonly env?: Record<string, string>;
}
/** Every system the benchmark knows, in the order they run. */
export const SYSTEMS = {
  tcp: { label: 'node TCP socket after an upgrade', mode: 'raw', layer: 'tcp' },
  ws: { label: '+ ws', mode: 'raw', layer: 'ws' },
  eio: { label: '+ engine.io (default options)', mode: 'eio', layer: 'eio' },
  bare: { label: 'bare socket.io (default options)', mode: 'sio', layer: 'sio' },
  'bare-noreq': { label: "bare socket.io, `raw.request = null` (socket.io docs' tip)", mode: 'sio', layer: 'sio-noreq' },
  'bare-release': { label: "bare socket.io + sioroute's releaseHandshakeRequests", mode: 'sio', layer: 'sio-release' },
  'lone-worker': { label: 'sioroute worker alone (createWorkerServer, demo handlers; no supervisor)', mode: 'sio', layer: 'worker' },
  sioroute: { label: 'sioroute worker, embedded default', mode: 'sio', env: {} },
  'sioroute-recovery-off': { label: 'sioroute worker, RECOVERY_SECONDS=0', mode: 'sio', env: { RECOVERY_SECONDS: '0' } },
} as const satisfies Record<string, SystemSpec>;
export type SystemName = keyof typeof SYSTEMS;
export const SYSTEM_NAMES = Object.keys(SYSTEMS) as SystemName[];

export interface MemoryOptions {
  low: number;
  high: number;
  /** Server processes per system, each holding high / processes connections at the top. */
  processes: number;
  systems?: readonly SystemName[];
  /** Wait after each step's connections before reading memory. @default 3000 */
  settleMs?: number;
  log?: (line: string) => void;
}
export interface StepFigures {
  /** Connections the generators hold. */
  connections: number;
  /** Sum over the system's processes of VmRSS (median of 5 readings each). */
  rssBytes: number;
  /** Sum of heapUsed after two full collections; null where the process cannot be asked (sioroute's workers). */
  heapUsedBytes: number | null;
}
export interface SystemFigures {
  name: SystemName;
  label: string;
  processes: number;
  low: StepFigures;
  high: StepFigures;
  /** Marginal bytes per connection between the steps. */
  rssPerConnection: number;
  heapPerConnection: number | null;
  failed: number;
  firstError: string | null;
}
export interface MemoryResult {
  measuredAt: string;
  node: string;
  low: number;
  high: number;
  processes: number;
  generators: number;
  systems: SystemFigures[];
  problems: string[];
  seconds: number;
}

const GENERATOR_PATH = fileURLToPath(new URL('./memory-generator.js', import.meta.url));
const SERVER_PATH = fileURLToPath(new URL('./memory-server.js', import.meta.url));
/** Clients per generator process at most (one process may hold 20,000 open files). */
const PER_GENERATOR = 16_000;
/** After a step: let handshake garbage and timers settle before reading memory. */
const SETTLE_MS = 3_000;
const OPEN_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 60_000;

type Generator = IpcChild<MemoryGeneratorCommand, MemoryGeneratorReply>;
type LayerServer = IpcChild<MemoryServerCommand, MemoryServerReply>;
interface Running {
  readonly pids: number[];
  readonly targets: Target[];
  heapUsed(): Promise<number | null>;
  stop(): Promise<void>;
}

async function medianRss(pids: readonly number[]): Promise<number> {
  const readings: number[][] = pids.map(() => []);
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(300);
    pids.forEach((pid, k) => readings[k]!.push(rssBytes(pid)));
  }
  return readings.reduce((sum, r) => sum + r.sort((a, b) => a - b)[2]!, 0);
}

async function startLayer(layer: Layer, processes: number): Promise<Running> {
  const servers: LayerServer[] = Array.from({ length: processes }, () => new IpcChild(SERVER_PATH, ['--expose-gc']));
  try {
    const replies = await Promise.all(servers.map((s) => s.request({ type: 'listen', layer }, 20_000)));
    const path = layer === 'tcp' || layer === 'ws' ? '/' : '/socket.io/?EIO=4&transport=websocket';
    return {
      pids: replies.map((r) => (r.type === 'listening' ? r.pid : NaN)),
      targets: replies.map((r) => (r.type === 'listening' ? { url: `ws://127.0.0.1:${r.port}${path}`, token: r.token } : { url: '', token: '' })),
      heapUsed: async () => (await Promise.all(servers.map((s) => s.request({ type: 'measure' }, 60_000)))).reduce((sum, r) => sum + (r.type === 'measured' ? r.heapUsed : 0), 0),
      stop: async () => void (await Promise.all(servers.map((s) => s.kill()))),
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.kill()));
    throw error;
  }
}

/** The embedded default with `processes` workers; one endpoint (address and token) per worker, resolved through the front. */
async function startSioroute(env: Record<string, string>, processes: number, firstAddress: number): Promise<Running> {
  const cluster: RunningCluster = await startCluster({ env: { WORKERS: String(processes), TOKEN_TTL_SECONDS: '3600', ...env }, timeoutMs: 90_000 });
  try {
    const byWorker = new Map<string, Target>();
    for (let i = 0; byWorker.size < processes && i < 50 * processes; i++) {
      const endpoint = await resolveEndpoint(cluster.frontUrl, clientAddress(firstAddress + i));
      byWorker.set(endpoint.workerId, { url: `${endpoint.url.replace(/^http/, 'ws')}${endpoint.path}/?EIO=4&transport=websocket`, token: endpoint.token });
    }
    if (byWorker.size < processes) throw new Error(`the front named ${byWorker.size} of ${processes} workers`);
    return {
      pids: cluster.workers.map((w) => w.pid),
      targets: cluster.workers.map((w) => byWorker.get(w.id)!),
      heapUsed: () => Promise.resolve(null),
      stop: async () => void (await cluster.stop()),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function measureSystem(name: SystemName, options: MemoryOptions, firstAddress: number): Promise<SystemFigures> {
  const spec: SystemSpec = SYSTEMS[name];
  const generators: Generator[] = Array.from({ length: Math.ceil(options.high / PER_GENERATOR) }, () => new IpcChild(GENERATOR_PATH, ['--max-old-space-size=4096']));
  let running: Running | undefined;
  try {
    running = spec.layer ? await startLayer(spec.layer, options.processes) : await startSioroute(spec.env ?? {}, options.processes, firstAddress);
    const targets = running.targets;
    let failed = 0;
    let firstError: string | null = null;
    const step = async (from: number, to: number): Promise<StepFigures> => {
      const share = Math.ceil((to - from) / generators.length);
      const deadline = Date.now() + OPEN_TIMEOUT_MS;
      const replies = await Promise.all(
        generators.map((g, k) => {
          const start = from + k * share;
          const count = Math.max(0, Math.min(share, to - start));
          // Client i goes to process i % processes: every process gets its share of each generator.
          return g.request({ type: 'open', targets, mode: spec.mode, from: firstAddress + start, count, deadline }, OPEN_TIMEOUT_MS + 10_000);
        }),
      );
      failed += replies.reduce((sum, r) => sum + r.failed, 0);
      firstError ??= replies.find((r) => r.firstError)?.firstError ?? null;
      await sleep(options.settleMs ?? SETTLE_MS);
      const rss = await medianRss(running!.pids);
      const heapUsedBytes = await running!.heapUsed();
      const connections = (await Promise.all(generators.map((g) => g.request({ type: 'count' }, 30_000)))).reduce((sum, r) => sum + r.open, 0);
      options.log?.(`memory: ${name} at ${connections} connections: RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
      return { connections, rssBytes: rss, heapUsedBytes };
    };
    const low = await step(0, options.low);
    const high = await step(options.low, options.high);
    const added = high.connections - low.connections;
    const heapPerConnection = low.heapUsedBytes === null || high.heapUsedBytes === null ? null : (high.heapUsedBytes - low.heapUsedBytes) / added;
    return { name, label: spec.label, processes: options.processes, low, high, rssPerConnection: (high.rssBytes - low.rssBytes) / added, heapPerConnection, failed, firstError };
  } finally {
    // Clients first: a server killed under them would make each generator handle every close.
    await Promise.all(generators.map((g) => g.kill()));
    await Promise.race([running?.stop(), sleep(STOP_TIMEOUT_MS, undefined, { ref: false })]);
  }
}

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const started = Date.now();
  const names = options.systems ?? SYSTEM_NAMES;
  const systems: SystemFigures[] = [];
  const problems: string[] = [];
  for (const [k, name] of names.entries()) {
    // Fresh client addresses for every system: nothing of the previous one's connections lingers.
    const figures = await measureSystem(name, options, 1 + k * (options.high + 1000));
    if (figures.failed > 0) problems.push(`${name}: ${figures.failed} connections failed (first: ${figures.firstError ?? '?'})`);
    systems.push(figures);
  }
  return {
    measuredAt: new Date().toISOString(), node: process.version, low: options.low, high: options.high, processes: options.processes,
    generators: Math.ceil(options.high / PER_GENERATOR), systems, problems, seconds: (Date.now() - started) / 1000,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      low: { type: 'string', default: '50000' },
      high: { type: 'string', default: '100000' },
      processes: { type: 'string', default: '6' },
      systems: { type: 'string', default: SYSTEM_NAMES.join(',') },
      report: { type: 'boolean', default: false },
    },
  });
  const systems = values.systems!.split(',') as SystemName[];
  for (const s of systems) if (!(s in SYSTEMS)) throw new Error(`unknown system ${s}; known: ${SYSTEM_NAMES.join(', ')}`);
  const result = await runMemory({ low: Number(values.low), high: Number(values.high), processes: Number(values.processes), systems, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${memoryMarkdown(result)}\n`);
  if (values.report) {
    // Only this section of report.json; `node dist/bench/run.js --render` writes REPORT.md from it.
    const path = join(PACKAGE_ROOT, 'bench', 'report.json');
    const report = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    report.memory = { result, seconds: result.seconds };
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write('the memory section of bench/report.json was replaced\n');
  }
  process.exit(0);
}
