// Connection-setup benchmark: the time to bring N clients up, 100 at a time in parallel, with
// socket.io-client's default transports (polling handshake first, then the upgrade, as a browser
// does). For sioroute that includes each client's GET /ws-endpoint at the front. All N stay
// connected until the last one is up, so late batches meet a loaded server. Systems interleaved.
import { performance } from 'node:perf_hooks';
import { spread, type Spread } from './stats.js';
import { closeAll, connectMany, Errors, fmt, int, LABELS, ratio } from './data-path.js';
import { parseSystems, startSystems, stopSystems, type SystemName } from './peers/servers.js';

export interface ConnectFigures {
  seconds: Spread;
  connectsPerSecond: Spread;
  failures: number;
  firstErrors: string[];
}

export interface ConnectResult {
  clients: number;
  runs: number;
  systems: SystemName[];
  bySystem: Partial<Record<SystemName, ConnectFigures>>;
  /** The reference's (sioroute unless told) connects/s ÷ the peer's, per run (higher is better for the reference). */
  vs: Partial<Record<SystemName, Spread>>;
  problems: string[];
}

export async function runConnect(options: {
  clients: number;
  runs: number;
  systems?: string[];
  /** Every ratio is this system against a peer. @default 'sioroute' */
  reference?: SystemName;
  log?: (line: string) => void;
}): Promise<ConnectResult> {
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
  const bySystem: ConnectResult['bySystem'] = {};
  for (const name of names) {
    const list = seconds.get(name)!;
    const errs = errors.get(name)!;
    bySystem[name] = { seconds: spread(list), connectsPerSecond: spread(list.map((s) => options.clients / s)), failures: errs.count, firstErrors: errs.first };
    if (errs.count > 0) problems.push(`${name}: ${errs.count} clients failed to connect, e.g. ${errs.first.join('; ')}`);
  }
  const ours = seconds.get(reference)!;
  const vs: ConnectResult['vs'] = {};
  for (const peer of names.filter((n) => n !== reference)) vs[peer] = spread(ours.map((s, i) => seconds.get(peer)![i]! / s));
  return { clients: options.clients, runs: options.runs, systems: names, bySystem, vs, problems };
}

export function connectMarkdown(r: ConnectResult): string {
  const lines = [
    `${r.clients} clients connected 100 at a time (default transports: polling handshake, then upgrade; sioroute includes GET /ws-endpoint), all kept open until the last is up; ${r.runs} run(s), systems interleaved; median (min-max).`,
    '',
    '| system | seconds for all | connects/s | failures | sioroute speed ratio |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const name of r.systems) {
    const f = r.bySystem[name]!;
    const vs = r.vs[name];
    lines.push(`| ${LABELS[name]} | ${fmt(f.seconds, (v) => v.toFixed(2))} | ${fmt(f.connectsPerSecond, int)} | ${f.failures} | ${vs ? fmt(vs, ratio) : '-'} |`);
  }
  lines.push('', 'Speed ratio: the peer\'s time ÷ sioroute\'s, per run (above 1: sioroute connects faster).');
  if (r.problems.length) lines.push('', `**Problems:** ${r.problems.join('; ')}`);
  return lines.join('\n');
}
