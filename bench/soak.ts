// Soak: for a while, clients connect through the front, echo, broadcast and leave, with thousands
// alive at any moment. Before and after (every client gone, garbage collected twice), each
// worker's memory, open files, timers and listeners are read: nothing may grow.
//   node dist/bench/soak.js [--seconds 600 --alive 2000]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths.js';
import { clientAddress, connectClient, type DemoSocket } from '../src/testing/clients.js';
import { startCluster } from '../src/testing/cluster-process.js';
import type { SoakProbe } from './soak-handlers.js';

export interface SoakOptions {
  seconds: number;
  /** Clients alive at any moment. */
  alive: number;
  /** Churn before the baseline, so that caches filled by the first clients are not counted as growth. */
  warmupSeconds: number;
  /** How long after the churn the workers are probed. @default the recovery window + 65 s */
  afterWaitMs?: number;
  log?: (line: string) => void;
}

export interface SoakWorker {
  workerId: string;
  before: SoakProbe;
  after: SoakProbe;
  rssGrowth: number;
  heapGrowth: number;
}

export interface SoakResult {
  seconds: number;
  warmupSeconds: number;
  alive: number;
  connections: number;
  echoes: number;
  broadcasts: number;
  errors: number;
  workers: SoakWorker[];
}

const WORKERS = 2;
/**
 * Sessions of clients that left are kept for recovery this long, by design: a short window, and a
 * wait after the churn past it and past the log's expiry round (every 60 s), so that what is
 * measured is what should be gone.
 */
const RECOVERY_SECONDS = 10;
const AFTER_WAIT_MS = (RECOVERY_SECONDS + 65) * 1000;
const HANDLERS = join(PACKAGE_ROOT, 'dist', 'bench', 'soak-handlers.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A probe socket on each worker (from addresses that route there), asked after the churn stops. */
async function probeAll(frontUrl: string, firstAddress: number): Promise<SoakProbe[]> {
  const probes = new Map<string, SoakProbe>();
  const sockets: DemoSocket[] = [];
  for (let i = firstAddress; probes.size < WORKERS && i < firstAddress + 200; i++) {
    const { socket, endpoint } = await connectClient(frontUrl, clientAddress(i));
    sockets.push(socket);
    if (probes.has(endpoint.workerId)) continue;
    const probe = (await (socket as unknown as { timeout(ms: number): { emitWithAck(event: string): Promise<SoakProbe> } }).timeout(10_000).emitWithAck('soak:probe'));
    probes.set(probe.workerId, probe);
  }
  for (const socket of sockets) socket.close();
  return [...probes.values()].sort((a, b) => a.workerId.localeCompare(b.workerId));
}

/** Churn: keep `alive` clients, each living a random 2 to 20 s, echoing every second, some broadcasting. */
async function churn(frontUrl: string, seconds: number, alive: number, counts: { connections: number; echoes: number; broadcasts: number; errors: number }, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let next = 0;
  const life = async (slot: number) => {
    while (Date.now() < deadline) {
      const address = clientAddress(10_000 + (next++ % 50_000));
      let socket: DemoSocket | undefined;
      try {
        ({ socket } = await connectClient(frontUrl, address, { transports: slot % 5 === 0 ? ['polling'] : ['websocket'] }));
        counts.connections++;
        const leaveAt = Math.min(deadline, Date.now() + 2000 + Math.random() * 18_000);
        while (Date.now() < leaveAt) {
          if (Math.random() < 0.02) {
            await socket.timeout(10_000).emitWithAck('chat:send', `soak ${slot}`);
            counts.broadcasts++;
          } else {
            await socket.timeout(10_000).emitWithAck('echo', slot);
            counts.echoes++;
          }
          await sleep(1000);
        }
      } catch {
        counts.errors++;
        await sleep(500);
      } finally {
        socket?.close();
      }
    }
  };
  const progress = setInterval(() => log(`${counts.connections} connections, ${counts.echoes} echoes, ${counts.broadcasts} broadcasts, ${counts.errors} errors`), 30_000);
  try {
    // Started gradually: a reconnect storm is another benchmark.
    const lives: Promise<void>[] = [];
    for (let slot = 0; slot < alive; slot++) {
      lives.push(life(slot));
      if (slot % 50 === 49) await sleep(100);
    }
    await Promise.all(lives);
  } finally {
    clearInterval(progress);
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const cluster = await startCluster({
    env: { WORKERS: String(WORKERS), HANDLERS, NODE_OPTIONS: '--expose-gc', RATE_LIMIT_PER_MINUTE: '1000000', RECOVERY_SECONDS: String(RECOVERY_SECONDS) },
    timeoutMs: 30_000,
  });
  const counts = { connections: 0, echoes: 0, broadcasts: 0, errors: 0 };
  try {
    await churn(cluster.frontUrl, options.warmupSeconds, Math.min(options.alive, 200), { connections: 0, echoes: 0, broadcasts: 0, errors: 0 }, log);
    await sleep(2000);
    const before = await probeAll(cluster.frontUrl, 1);
    log(`baseline: ${before.map((p) => `${p.workerId} ${(p.rssBytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
    await churn(cluster.frontUrl, options.seconds, options.alive, counts, log);
    // Every client gone; sessions and timers of theirs must be gone too, once the recovery window is over.
    await sleep(options.afterWaitMs ?? AFTER_WAIT_MS);
    const after = await probeAll(cluster.frontUrl, 300);
    const workers = before.map((b) => {
      const a = after.find((p) => p.workerId === b.workerId)!;
      return { workerId: b.workerId, before: b, after: a, rssGrowth: a.rssBytes / b.rssBytes - 1, heapGrowth: a.heapUsedBytes / b.heapUsedBytes - 1 };
    });
    return { seconds: options.seconds, warmupSeconds: options.warmupSeconds, alive: options.alive, ...counts, workers };
  } finally {
    await cluster.stop();
  }
}

export function soakMarkdown(result: SoakResult): string {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  return [
    `${result.seconds} s of churn with ${result.alive} clients alive at any moment (each lives 2 to 20 s, echoes every second, 2% of its messages are broadcasts to everyone), through the front, each client from its own loopback address: ${result.connections} connections, ${result.echoes} echoes, ${result.broadcasts} broadcasts, ${result.errors} errors. Before: after ${result.warmupSeconds} s of warm-up churn, every client gone. After: every client gone, the recovery window (RECOVERY_SECONDS=${RECOVERY_SECONDS}) over and the session log's expiry round run (${AFTER_WAIT_MS / 1000} s later). Both after two garbage collections.`,
    '',
    '| worker | RSS before → after | heap used before → after | open files | timers | listeners |',
    '| --- | --- | --- | --- | --- | --- |',
    ...result.workers.map((w) => `| ${w.workerId} | ${mib(w.before.rssBytes)} → ${mib(w.after.rssBytes)} MiB (${pct(w.rssGrowth)}) | ${mib(w.before.heapUsedBytes)} → ${mib(w.after.heapUsedBytes)} MiB (${pct(w.heapGrowth)}) | ${w.before.openFiles} → ${w.after.openFiles} | ${w.before.timers} → ${w.after.timers} | ${w.before.listeners} → ${w.after.listeners} |`),
    '',
    'Targets: RSS and heap within 10% of the baseline; open files, timers and listeners no higher.',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, alive: { type: 'string', default: '2000' } } });
  const result = await runSoak({ seconds: Number(values.seconds), alive: Number(values.alive), warmupSeconds: 30, log: (line) => process.stdout.write(`soak: ${line}\n`) });
  process.stdout.write(`${soakMarkdown(result)}\n`);
  process.exit(0);
}
