// npm run bench: every benchmark in one run on this machine, then bench/REPORT.md and
// bench/report.json. Absolute figures are noisy on a shared 2-core machine; the ratios between
// systems measured in the same run are what to quote.
//   npm run bench              full sizes (about 35 minutes: the soak alone runs 10)
//   npm run bench -- --quick   small sizes, for a look (a few minutes)
//   node dist/bench/run.js --render   write REPORT.md again from report.json and bench/profiling.md
//                                     (after editing the prose; measures nothing)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../src/paths.js';
import { capacityMarkdown, runCapacity } from './capacity.js';
import { connectMarkdown } from './connect-markdown.js';
import { runConnect } from './connect.js';
import { dataPathMarkdown, runDataPath } from './data-path.js';
import { failoverMarkdown, runFailover } from './failover.js';
import { frontThroughputMarkdown, runFrontThroughput } from './front-throughput.js';
import { membershipScaleMarkdown, runMembershipScale } from './membership-scale.js';
import { memoryMarkdown, runMemory } from './memory.js';
import { routingQualityMarkdown, runRoutingQuality } from './routing-quality.js';
import { runSinglePort, singlePortMarkdown } from './single-port.js';
import { runSoak, soakMarkdown } from './soak.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, render: { type: 'boolean', default: false } } });
const quick = values.quick ?? false;
const REPORT_JSON = join(PACKAGE_ROOT, 'bench', 'report.json');
const REPORT_MD = join(PACKAGE_ROOT, 'bench', 'REPORT.md');
/** What profiling found and what changed: prose, kept apart from the code that measures. */
const PROFILING_MD = join(PACKAGE_ROOT, 'bench', 'profiling.md');

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function nginxVersion(): string {
  try {
    return execFileSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'nginx';
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? 'not installed').trim();
  }
}

const log = (line: string) => process.stdout.write(`bench: ${line}\n`);
const started = Date.now();
// Each section is bounded: a hang in one is a failed run with a reason, not a run that never ends.
const SECTION_TIMEOUT_MS = 14 * 60_000;
const section = async <T>(name: string, run: () => Promise<T>): Promise<{ result: T; seconds: number }> => {
  log(`${name}...`);
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    run(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} did not finish within ${SECTION_TIMEOUT_MS / 60_000} minutes`)), SECTION_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  const seconds = (Date.now() - t0) / 1000;
  log(`${name} done in ${seconds.toFixed(0)} s`);
  return { result, seconds };
};

const sizes = quick
  ? { keys: 20_000, repeats: 3, frontSeconds: 2, frontRuns: 3, ws: 100, polling: 40, dataSeconds: 3, dataRuns: 3, connects: 200, maxConnections: 6000, step: 2000, capacityWorkers: 4, capacityGenerators: 2, memoryLow: 2000, memoryHigh: 4000, memoryProcesses: 2, failoverClients: 300, failoverRuns: 1, soakSeconds: 60, soakAlive: 500,
      members: { workers: 200, fronts: 2, processes: 2, windowSeconds: 5, batch: 20, batchDeaths: 2, singleDeaths: 3, tableRepeats: 1 } }
  : { keys: 100_000, repeats: 5, frontSeconds: 5, frontRuns: 3, ws: 500, polling: 200, dataSeconds: 5, dataRuns: 3, connects: 1000, maxConnections: 200_000, step: 25_000, capacityWorkers: 12, capacityGenerators: 12, memoryLow: 50_000, memoryHigh: 100_000, memoryProcesses: 6, failoverClients: 2000, failoverRuns: 3, soakSeconds: 600, soakAlive: 2000,
      members: { workers: 1000, fronts: 2, processes: 3, windowSeconds: 20, batch: 100, batchDeaths: 3, singleDeaths: 8, tableRepeats: 3 } };

async function measure() {
  const routing = await section('routing quality', () => runRoutingQuality({ keys: sizes.keys, repeats: sizes.repeats, workerCounts: [2, 4, 8, 16, 64] }));
  const front = await section('front', () => runFrontThroughput({ durationSeconds: sizes.frontSeconds, runs: sizes.frontRuns, connections: 50 }));
  const dataPath = await section('data path', () => runDataPath({ wsClients: sizes.ws, pollingClients: sizes.polling, seconds: sizes.dataSeconds, runs: sizes.dataRuns, log }));
  const connect = await section('connection setup', () => runConnect({ clients: sizes.connects, runs: 3, log }));
  const singlePort = await section('single-port mode', () => runSinglePort({ wsClients: sizes.ws, pollingClients: sizes.polling, seconds: sizes.dataSeconds, runs: sizes.dataRuns, connects: sizes.connects, log }));
  const capacity = await section('capacity', () => runCapacity({ maxConnections: sizes.maxConnections, step: sizes.step, p99LimitMs: 100, workers: sizes.capacityWorkers, generators: sizes.capacityGenerators, log }));
  const memory = await section('memory per connection', () => runMemory({ low: sizes.memoryLow, high: sizes.memoryHigh, processes: sizes.memoryProcesses, log }));
  const failover = await section('failover', () => runFailover({ clients: sizes.failoverClients, runs: sizes.failoverRuns }));
  const membership = await section('membership at scale', () => runMembershipScale({ ...sizes.members, log }));
  const soak = await section('soak', () => runSoak({ seconds: sizes.soakSeconds, alive: sizes.soakAlive, warmupSeconds: 30, log }));

  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    versions: {
      sioroute: versionOf('../'),
      'socket.io': versionOf('socket.io'),
      'socket.io-client': versionOf('socket.io-client'),
      fastify: versionOf('fastify'),
      '@socket.io/sticky': versionOf('@socket.io/sticky'),
      '@socket.io/cluster-adapter': versionOf('@socket.io/cluster-adapter'),
      autocannon: versionOf('autocannon'),
      nginx: nginxVersion(),
    },
  };
  const totalMinutes = (Date.now() - started) / 60_000;
  return { date: new Date().toISOString(), quick, machine, totalMinutes, routing, front, dataPath, connect, singlePort, capacity, memory, failover, membership, soak };
}

type Report = Awaited<ReturnType<typeof measure>>;

function renderReport(report: Report): string {
  const { quick, machine, totalMinutes, routing, front, dataPath, connect, singlePort, capacity, memory, failover, membership, soak } = report;
  return `# sioroute benchmark report

Written by \`npm run bench\`${quick ? ' (--quick sizes)' : ''} on ${report.date.slice(0, 10)} in ${totalMinutes.toFixed(1)} minutes. Raw figures: [report.json](report.json).
Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}. Versions: ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.

Every process (servers, peers, load generators) runs on this one shared machine, on loopback. Absolute
figures move from run to run; ratios measured in the same run, with systems interleaved, are the
figures to quote. Each figure is the median of the runs, with min and max.

## Routing quality (pure, no network)

${routingQualityMarkdown(routing.result)}

## Front: GET /ws-endpoint

${frontThroughputMarkdown(front.result)}

## Data path: acknowledged echoes

${dataPathMarkdown(dataPath.result)}

## Connection setup

${connectMarkdown(connect.result)}

## Single-port mode

${singlePortMarkdown(singlePort.result)}

## Capacity

${capacityMarkdown(capacity.result)}

## Memory per connection

${memory ? memoryMarkdown(memory.result) : 'Not in this report yet: the section was added after the full run above. `node dist/bench/memory.js --report` runs it alone and writes it here.'}

## Failover

${failoverMarkdown(failover.result)}

## Membership at scale (separate services, Redis)

${membership ? membershipScaleMarkdown(membership.result) : 'Not in this report yet: the section was added after the full run above. `node dist/bench/membership-scale.js` runs it alone (about a minute); its figures are in [docs/scale.md](../docs/scale.md).'}

## Soak

${soak ? soakMarkdown(soak.result) : 'Not in this report yet: the soak section came after its full run. `node dist/bench/soak.js --seconds 600 --alive 2000` runs it alone (see bench/profiling.md for the figures of the runs so far).'}

${readFileSync(PROFILING_MD, 'utf8').trim()}
`;
}

if (values.render) {
  writeFileSync(REPORT_MD, renderReport(JSON.parse(readFileSync(REPORT_JSON, 'utf8')) as Report));
  log('REPORT.md written again from report.json');
} else {
  const report = await measure();
  writeFileSync(REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(REPORT_MD, renderReport(report));
  log(`report written to bench/REPORT.md in ${report.totalMinutes.toFixed(1)} minutes`);
}

// Detached peer processes are cleaned up by their owners' exit hooks; nothing else may linger.
process.exit(0);
