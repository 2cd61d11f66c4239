// Connection-setup benchmark: the time to bring N clients up, 100 at a time in parallel, each from
// its own loopback address, all kept open until the last is up (late batches meet a loaded server).
// sioroute's rows use sioroute/client itself (RoutedSocket: its resolve and its socket.io-client
// options), with each lever on its own and combined (bench/connect-rows.ts); the peers use
// socket.io-client with its default options. Rows interleaved, rotated every run; ratios per run.
//   node dist/bench/connect.js [--clients 1000 --runs 3 --rows spa-ws-first,nginx,bare] [--report]
import type { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { WsEndpoint } from '../src/protocol/wire.js';
import { connectTo } from '../src/testing/clients.js';
import { connectMarkdown } from './connect-markdown.js';
import { BEFORE, isOurs, parseRows, rowOf, systemsOf, type ConnectRow, type RowName } from './connect-rows.js';
import { Errors, spreadAddress } from './data-path.js';
import { startSystems, stopSystems, type RunningSystem } from './peers/servers.js';
import { frontAgent, getText, openRouted, pageEndpoint } from './routed-client.js';
import { spread, type Spread } from './stats.js';
import { replaceReportSection } from './report-section.js';

const BATCH = 100;
/** After preparing or closing clients: let the servers finish that work before the clock runs. */
const SETTLE_MS = 500;
const WARM_UP_CLIENTS = 100;

export interface RowFigures {
  seconds: Spread;
  connectsPerSecond: Spread;
  failures: number;
  firstErrors: string[];
}

export interface ConnectResult {
  clients: number;
  runs: number;
  /** When and how it was measured (it may be measured apart from the rest of the report). */
  measuredAt: string;
  rows: RowName[];
  byRow: Partial<Record<RowName, RowFigures>>;
  /** For each sioroute row: the peer's time ÷ the row's, per run (above 1: sioroute connects faster). */
  vs: Partial<Record<RowName, Partial<Record<RowName, Spread>>>>;
  /** For each sioroute row: the time of sioroute's client as it was (spa-polling-first) ÷ the row's, per run: what its levers gain. */
  gain: Partial<Record<RowName, Spread>>;
  problems: string[];
}

interface Client {
  localAddress: string;
  agent?: Agent;
  endpoint?: WsEndpoint;
}

async function inBatches<T>(n: number, each: (i: number) => Promise<T>, errors: Errors, what: string): Promise<T[]> {
  const done: T[] = [];
  for (let first = 0; first < n; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - first) }, (_, k) => each(first + k));
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === 'fulfilled') done.push(outcome.value);
      else errors.add(`${what}: ${(outcome.reason as Error).message}`);
    }
  }
  return done;
}

/** Before the clock: what the client has before it connects (the page it loaded, an open connection to the front). */
async function prepare(row: ConnectRow, system: RunningSystem, n: number, errors: Errors): Promise<Client[]> {
  const clients = Array.from({ length: n }, (_, i): Client => ({ localAddress: spreadAddress(i, n) }));
  if (row.path === undefined) return clients;
  const frontUrl = system.frontUrl!;
  for (const c of clients) c.agent = frontAgent(c.localAddress, row.front ?? 'fresh');
  if (row.path === 'page') {
    await inBatches(n, async (i) => (clients[i]!.endpoint = await pageEndpoint(clients[i]!.agent!, frontUrl)), errors, 'page');
  } else if (row.front === 'kept-alive') {
    await inBatches(n, (i) => getText(clients[i]!.agent!, `${frontUrl}/livez`), errors, 'opening the front connection');
  }
  await sleep(SETTLE_MS);
  return clients;
}

/** A sioroute client: sioroute/client's RoutedSocket, from the page's endpoint or resolving first. */
function connectRouted(row: ConnectRow, system: RunningSystem, client: Client): Promise<{ close(): unknown }> {
  return openRouted({
    frontUrl: system.frontUrl!,
    localAddress: client.localAddress,
    agent: client.agent!,
    ...(client.endpoint ? { initialEndpoint: client.endpoint } : {}),
    ...(row.transports === 'polling-first' ? { transports: ['polling', 'websocket'] } : {}),
  });
}

/** One row once: prepare, then the clock over resolve (when the row has one) and connect of all clients. */
async function measureRow(row: ConnectRow, system: RunningSystem, n: number, errors: Errors): Promise<number> {
  const clients = await prepare(row, system, n, errors);
  const started = performance.now();
  const sockets = await inBatches(
    n,
    async (i) => {
      const client = clients[i]!;
      if (row.path !== undefined) return connectRouted(row, system, client);
      // Peers: socket.io-client's defaults (polling, then websocket), at the system's fixed address.
      return connectTo(await system.endpoint(client.localAddress), { localAddress: client.localAddress });
    },
    errors,
    'connect',
  );
  const took = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.close();
  for (const client of clients) client.agent?.destroy();
  await sleep(SETTLE_MS);
  return took;
}

export async function runConnect(options: { clients: number; runs: number; rows?: string[]; log?: (line: string) => void }): Promise<ConnectResult> {
  const names = parseRows(options.rows);
  const log = options.log ?? (() => {});
  const seconds = new Map<RowName, number[]>(names.map((n) => [n, []]));
  const errors = new Map<RowName, Errors>(names.map((n) => [n, new Errors()]));
  const systems = await startSystems(systemsOf(names));
  const systemOf = (name: RowName) => systems.find((s) => s.name === rowOf(name).system)!;
  try {
    // Untimed, once: the first connects of a fresh process (servers and this generator) are slow
    // while the code warms up, and would count against whichever row happens to come first.
    for (const name of names) await measureRow(rowOf(name), systemOf(name), Math.min(WARM_UP_CLIENTS, options.clients), new Errors());
    for (let run = 0; run < options.runs; run++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + run) % names.length]!;
        const took = await measureRow(rowOf(name), systemOf(name), options.clients, errors.get(name)!);
        seconds.get(name)!.push(took);
        log(`connect run ${run + 1} ${name}: ${options.clients} clients in ${took.toFixed(2)} s`);
      }
    }
  } finally {
    await stopSystems(systems);
  }

  const problems: string[] = [];
  const byRow: ConnectResult['byRow'] = {};
  for (const name of names) {
    const list = seconds.get(name)!;
    const errs = errors.get(name)!;
    byRow[name] = { seconds: spread(list), connectsPerSecond: spread(list.map((s) => options.clients / s)), failures: errs.count, firstErrors: errs.first };
    if (errs.count > 0) problems.push(`${name}: ${errs.count} failures, e.g. ${errs.first.join('; ')}`);
  }
  const vs: ConnectResult['vs'] = {};
  const peers = names.filter((n) => !isOurs(n));
  for (const name of names.filter(isOurs)) {
    const ours = seconds.get(name)!;
    vs[name] = Object.fromEntries(peers.map((peer) => [peer, spread(ours.map((s, i) => seconds.get(peer)![i]! / s))]));
  }
  const gain: ConnectResult['gain'] = {};
  const before = seconds.get(BEFORE);
  if (before) for (const name of names.filter((n) => isOurs(n) && n !== BEFORE)) gain[name] = spread(seconds.get(name)!.map((s, i) => before[i]! / s));
  return { clients: options.clients, runs: options.runs, measuredAt: new Date().toISOString(), rows: names, byRow, vs, gain, problems };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '3' },
      rows: { type: 'string' },
      report: { type: 'boolean', default: false },
    },
  });
  const count = (name: string, value: string | undefined, max: number) => {
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new Error(`--${name}: expected an integer from 1 to ${max}`);
    return n;
  };
  const started = Date.now();
  const rows = values.rows?.split(',');
  const result = await runConnect({ clients: count('clients', values.clients, 3000), runs: count('runs', values.runs, 9), ...(rows ? { rows } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`## Connection setup\n\n${connectMarkdown(result)}\n\n(took ${Math.round(seconds)} s)\n`);
  if (values.report) {
    replaceReportSection('connect', { result, seconds });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    // Detached peer processes are cleaned up by their owners' exit hooks.
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
