// The fault run: with many connected clients, what does each kind of fault cost them?
//   npm run faults [-- --clients 2000 --workers 3 --out bench/results/faults.json]
// Reports: time to re-home every client of a kill -9ed worker (p50/p99), clients of other workers
// disturbed, live sessions dropped when the front is killed, acknowledged emits failed during a
// rolling restart. Bounded in count and time; loopback only (client i uses 127.0.x.y).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths.js';
import { clientAddress, httpGet } from '../src/testing/clients.js';
import { runCli, startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import { RehomingClient } from '../src/testing/rehoming-client.js';
import { percentile } from './stats.js';

export interface FaultReport {
  clients: number;
  workers: number;
  connectSeconds: number;
  killedWorker: { id: string; clients: number; rehomeMsP50: number; rehomeMsP99: number; rehomeMsMax: number; othersDisturbed: number };
  frontKill: { sessionsDropped: number; frontBackMs: number };
  rollingRestart: { sent: number; acked: number; failed: number; seconds: number; moved: number; lost: number };
}


async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const moves = (c: RehomingClient) => c.stats.lost + c.stats.drained;

export async function runFaults(options: { clients: number; workers: number; log?: (line: string) => void }): Promise<FaultReport> {
  const log = options.log ?? (() => {});
  const cluster: RunningCluster = await startCluster({ env: { WORKERS: String(options.workers), DRAIN_SECONDS: '3', RATE_LIMIT_PER_MINUTE: '100000' }, timeoutMs: 60_000 });
  const clients: RehomingClient[] = [];
  try {
    const startedConnecting = Date.now();
    for (let i = 0; i < options.clients; i += 100) {
      const batch = Array.from({ length: Math.min(100, options.clients - i) }, (_, j) => new RehomingClient(cluster.frontUrl, clientAddress(i + j)));
      clients.push(...batch);
      await Promise.all(batch.map((c) => c.start()));
    }
    const connectSeconds = (Date.now() - startedConnecting) / 1000;
    log(`connected ${clients.length} clients in ${connectSeconds.toFixed(1)} s`);

    // 1. kill -9 one worker.
    const status = (await httpGet(`${cluster.frontUrl}/status.json`)).json<{ list: { id: string; pid: number }[] }>();
    const victim = status.list[0]!;
    const victims = clients.filter((c) => c.workerId === victim.id);
    const others = clients.filter((c) => c.workerId !== victim.id);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await until('every client of the killed worker to re-home', () => victims.every((c) => c.connected && c.connectedAt > killedAt), 60_000);
    const rehome = victims.map((c) => c.connectedAt - killedAt).sort((a, b) => a - b);
    const othersDisturbed = others.filter((c) => moves(c) > 0).length;
    log(`re-homed ${victims.length} clients of ${victim.id}: p50 ${percentile(rehome, 50)} ms, p99 ${percentile(rehome, 99)} ms; others disturbed ${othersDisturbed}`);
    await until(`${victim.id} back`, async () => (await httpGet(`${cluster.frontUrl}/healthz`)).json<{ status: string }>().status === 'ok', 30_000);

    // 2. kill -9 the front.
    const movesBefore = clients.map(moves);
    const frontKilledAt = Date.now();
    const frontBack = cluster.waitForLog((e) => e.msg === 'front ready' && e.pid !== cluster.frontPid, 30_000);
    process.kill(cluster.frontPid, 'SIGKILL');
    await frontBack;
    const frontBackMs = Date.now() - frontKilledAt;
    const sessionsDropped = clients.filter((c, i) => moves(c) !== movesBefore[i] || !c.connected).length;
    log(`front killed: ${sessionsDropped} sessions dropped, front back after ${frontBackMs} ms`);

    // 3. Rolling restart while every client sends echoes in a closed loop.
    const counts = { sent: 0, acked: 0, failed: 0 };
    let talking = true;
    const lostBefore = clients.reduce((sum, c) => sum + c.stats.lost, 0);
    const drainedBefore = clients.reduce((sum, c) => sum + c.stats.drained, 0);
    const loops = clients.map(async (client, i) => {
      for (let n = 0; talking; n++) {
        counts.sent++;
        try {
          if ((await client.echo(`${i}:${n}`)) === `${i}:${n}`) counts.acked++;
          else counts.failed++;
        } catch {
          counts.failed++;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    const restartStarted = Date.now();
    const restart = await runCli(['restart', '--port', String(cluster.frontPort)], {}, 300_000);
    if (restart.code !== 0) throw new Error(`sioroute restart failed: ${restart.stderr}`);
    const seconds = (Date.now() - restartStarted) / 1000;
    await until('every client connected after the restart', () => clients.every((c) => c.connected), 60_000);
    talking = false;
    await Promise.all(loops);
    const moved = clients.reduce((sum, c) => sum + c.stats.drained, 0) - drainedBefore;
    const lost = clients.reduce((sum, c) => sum + c.stats.lost, 0) - lostBefore;
    log(`rolling restart in ${seconds.toFixed(1)} s: ${counts.sent} emits, ${counts.acked} acknowledged, ${counts.failed} failed; ${moved} moves by drain, ${lost} losses`);

    return {
      clients: clients.length,
      workers: options.workers,
      connectSeconds,
      killedWorker: { id: victim.id, clients: victims.length, rehomeMsP50: percentile(rehome, 50), rehomeMsP99: percentile(rehome, 99), rehomeMsMax: rehome.at(-1) ?? 0, othersDisturbed },
      frontKill: { sessionsDropped, frontBackMs },
      rollingRestart: { ...counts, seconds, moved, lost },
    };
  } finally {
    for (const client of clients) client.close();
    await cluster.stop();
  }
}

export function reportMarkdown(report: FaultReport): string {
  const k = report.killedWorker;
  const r = report.rollingRestart;
  return [
    `| fault (${report.clients} clients, ${report.workers} workers) | figure |`,
    '| --- | --- |',
    `| \`kill -9\` of ${k.id} (${k.clients} clients): time to re-home, p50 / p99 / max | ${k.rehomeMsP50} / ${k.rehomeMsP99} / ${k.rehomeMsMax} ms |`,
    `| clients of other workers disturbed | ${k.othersDisturbed} |`,
    `| live sessions dropped when the front is killed | ${report.frontKill.sessionsDropped} (front back in ${report.frontKill.frontBackMs} ms) |`,
    `| acknowledged emits failed during a rolling restart | ${r.failed} of ${r.sent} (${r.moved} clients moved by drain, ${r.lost} lost; ${r.seconds.toFixed(1)} s) |`,
  ].join('\n');
}

// Run as a script: npm run faults.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { clients: { type: 'string', default: '2000' }, workers: { type: 'string', default: '3' }, out: { type: 'string', default: join(PACKAGE_ROOT, 'bench', 'results', 'faults.json') } },
  });
  const clients = Number(values.clients);
  const workers = Number(values.workers);
  if (!(Number.isInteger(clients) && clients >= 10 && clients <= 5000)) throw new Error('--clients: expected an integer from 10 to 5000');
  if (!(Number.isInteger(workers) && workers >= 2 && workers <= 16)) throw new Error('--workers: expected an integer from 2 to 16');
  const report = await runFaults({ clients, workers, log: (line) => process.stdout.write(`faults: ${line}\n`) });
  mkdirSync(dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`);
  process.stdout.write(`\n${reportMarkdown(report)}\n\nwritten to ${values.out}\n`);
}
