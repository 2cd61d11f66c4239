// Failover: how long the clients of a kill -9ed worker take to re-home, over several runs, and
// whether anyone else notices. Reuses the fault run (bench/faults.ts) as it is: each run also
// kills the front and does a rolling restart, whose zero figures are reported alongside.
//   node dist/bench/failover.js [--clients 2000 --runs 3 --workers 3]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runFaults, type FaultReport } from './faults.js';
import { spread, type Spread } from './stats.js';

export interface FailoverOptions {
  clients: number;
  runs: number;
  /** @default 3, as the fault run's own default: two survivors show whether others are disturbed. */
  workers?: number;
  log?: (line: string) => void;
}
export interface FailoverResult {
  clients: number;
  workers: number;
  runs: FaultReport[];
  killedClients: Spread;
  rehomeMsP50: Spread;
  rehomeMsP99: Spread;
  /** Clients of the surviving workers that moved, summed over all runs: must be 0. */
  othersDisturbed: number;
  /** Summed over all runs, from the fault run's other two parts: must be 0 too. */
  frontKillSessionsDropped: number;
  rollingRestartFailed: number;
  seconds: number;
}


export async function runFailover(options: FailoverOptions): Promise<FailoverResult> {
  const workers = options.workers ?? 3;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const runs: FaultReport[] = [];
  // One run after another: each starts its own cluster, and they would compete for the 2 cores.
  for (let run = 1; run <= options.runs; run++) runs.push(await runFaults({ clients: options.clients, workers, log: (line) => log(`run ${run}: ${line}`) }));
  const sum = (pick: (r: FaultReport) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    clients: options.clients,
    workers,
    runs,
    killedClients: spread(runs.map((r) => r.killedWorker.clients)),
    rehomeMsP50: spread(runs.map((r) => r.killedWorker.rehomeMsP50)),
    rehomeMsP99: spread(runs.map((r) => r.killedWorker.rehomeMsP99)),
    othersDisturbed: sum((r) => r.killedWorker.othersDisturbed),
    frontKillSessionsDropped: sum((r) => r.frontKill.sessionsDropped),
    rollingRestartFailed: sum((r) => r.rollingRestart.failed),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export function failoverMarkdown(result: FailoverResult): string {
  const cell = (s: Spread, unit = '') => `${s.median}${unit} (${s.min}–${s.max}${unit})`;
  return [
    `| \`kill -9\` of one worker (${result.clients} clients, ${result.workers} workers, ${result.runs.length} run${result.runs.length === 1 ? '' : 's'}) | median (min–max) |`,
    '| --- | --- |',
    `| clients of the killed worker | ${cell(result.killedClients)} |`,
    `| time to re-home them, p50 | ${cell(result.rehomeMsP50, ' ms')} |`,
    `| time to re-home them, p99 | ${cell(result.rehomeMsP99, ' ms')} |`,
    `| clients of other workers disturbed (all runs) | ${result.othersDisturbed} |`,
    '',
    `Each run also killed the front (live sessions dropped, all runs: ${result.frontKillSessionsDropped}) and did a rolling restart under load (acknowledged emits failed, all runs: ${result.rollingRestartFailed}). Whole run ${result.seconds} s.`,
  ].join('\n');
}

// Run as a script; importing the module runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { clients: { type: 'string', default: '2000' }, runs: { type: 'string', default: '3' }, workers: { type: 'string', default: '3' } } });
  const result = await runFailover({ clients: Number(values.clients), runs: Number(values.runs), workers: Number(values.workers), log: (line) => process.stdout.write(`failover: ${line}\n`) });
  process.stdout.write(`\n${failoverMarkdown(result)}\n`);
}
