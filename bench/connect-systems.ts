// Connect rate of whole systems with one and the same client: the time to bring N clients up, 100
// at a time in parallel, each a plain socket.io-client with its default transports (polling
// handshake first, then the upgrade); for sioroute's modes each client first GETs /ws-endpoint.
// All N stay connected until the last one is up, so late batches meet a loaded server. Systems
// interleaved. Single-port mode's comparison uses it; bench/connect.ts measures sioroute's own
// client and its levers against nginx and bare workers.
import { performance } from 'node:perf_hooks';
import { spread, type Spread } from './stats.js';
import { closeAll, connectMany, Errors } from './data-path.js';
import { parseSystems, startSystems, stopSystems, type SystemName } from './peers/servers.js';

export interface SystemsConnectFigures {
  seconds: Spread;
  connectsPerSecond: Spread;
  failures: number;
  firstErrors: string[];
}

export interface SystemsConnectResult {
  clients: number;
  runs: number;
  systems: SystemName[];
  bySystem: Partial<Record<SystemName, SystemsConnectFigures>>;
  /** The reference's (sioroute unless told) connects/s ÷ the peer's, per run (higher is better for the reference). */
  vs: Partial<Record<SystemName, Spread>>;
  problems: string[];
}

export async function runSystemsConnect(options: {
  clients: number;
  runs: number;
  systems?: string[];
  /** Every ratio is this system against a peer. @default 'sioroute' */
  reference?: SystemName;
  log?: (line: string) => void;
}): Promise<SystemsConnectResult> {
  const reference = options.reference ?? 'sioroute';
  const names = parseSystems(options.systems, reference);
  const log = options.log ?? (() => {});
  const seconds = new Map<SystemName, number[]>(names.map((n) => [n, []]));
  const errors = new Map<SystemName, Errors>(names.map((n) => [n, new Errors()]));
  const systems = await startSystems(names);
  try {
    for (let run = 0; run < options.runs; run++) {
      for (let i = 0; i < systems.length; i++) {
        const system = systems[(i + run) % systems.length]!;
        const started = performance.now();
        const sockets = await connectMany(system, options.clients, ['polling', 'websocket'], errors.get(system.name)!);
        const took = (performance.now() - started) / 1000;
        await closeAll(sockets);
        seconds.get(system.name)!.push(took);
        log(`connect run ${run + 1} ${system.name}: ${sockets.length} clients in ${took.toFixed(2)} s`);
      }
    }
  } finally {
    await stopSystems(systems);
  }

  const problems: string[] = [];
  const bySystem: SystemsConnectResult['bySystem'] = {};
  for (const name of names) {
    const list = seconds.get(name)!;
    const errs = errors.get(name)!;
    bySystem[name] = { seconds: spread(list), connectsPerSecond: spread(list.map((s) => options.clients / s)), failures: errs.count, firstErrors: errs.first };
    if (errs.count > 0) problems.push(`${name}: ${errs.count} clients failed to connect, e.g. ${errs.first.join('; ')}`);
  }
  const ours = seconds.get(reference)!;
  const vs: SystemsConnectResult['vs'] = {};
  for (const peer of names.filter((n) => n !== reference)) vs[peer] = spread(ours.map((s, i) => seconds.get(peer)![i]! / s));
  return { clients: options.clients, runs: options.runs, systems: names, bySystem, vs, problems };
}
