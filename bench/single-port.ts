// Single-port mode against the default mode and @socket.io/sticky, in the same run: acknowledged
// echo throughput and p99 over WebSocket and polling (the data-path benchmark), and the connect rate
// (the connection-setup benchmark), every ratio single-port ÷ peer. All three run 2 workers behind
// one primary or front: sticky's primary relays polling request bodies over IPC and routes by
// session id; single-port's primary only passes each new TCP connection, unread, to the worker the
// client's address hashes to; the default mode has no process in the middle at all.
//   node dist/bench/single-port.js [--ws 500 --polling 200 --seconds 5 --runs 3 --connects 1000]
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runSystemsConnect, type SystemsConnectResult } from './connect-systems.js';
import { fmt, int, LABELS, ratio, runDataPath, type DataPathResult } from './data-path.js';
import type { SystemName } from './peers/servers.js';

export const SINGLE_PORT_SYSTEMS: SystemName[] = ['single', 'sioroute', 'sticky'];

export interface SinglePortResult {
  dataPath: DataPathResult;
  connect: SystemsConnectResult;
}

export async function runSinglePort(options: { wsClients: number; pollingClients: number; seconds: number; runs: number; connects: number; log?: (line: string) => void }): Promise<SinglePortResult> {
  const common = { systems: SINGLE_PORT_SYSTEMS, reference: 'single' as const, runs: options.runs, ...(options.log ? { log: options.log } : {}) };
  const dataPath = await runDataPath({ ...common, wsClients: options.wsClients, pollingClients: options.pollingClients, seconds: options.seconds });
  const connect = await runSystemsConnect({ ...common, clients: options.connects });
  return { dataPath, connect };
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

export function singlePortMarkdown(r: SinglePortResult): string {
  const { dataPath: d, connect: c } = r;
  const lines = [
    `Closed-loop acknowledged \`echo\` (${d.payloadBytes} bytes) with ${d.websocket.clients} WebSocket clients, then ${d.polling.clients} polling-only clients, each from its own loopback address; then ${c.clients} clients connected 100 at a time with the default transports (GET /ws-endpoint first for sioroute in both modes). ${d.runs} run(s) of ${d.seconds} s after ${d.warmupSeconds} s warm-up, systems interleaved; median (min-max).`,
    '',
    '| system | WebSocket acks/s | WebSocket p99 ms | polling acks/s | polling p99 ms | connects/s | errors |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const name of d.systems) {
    const ws = d.websocket.systems[name]!;
    const polling = d.polling.systems[name]!;
    const connect = c.bySystem[name]!;
    lines.push(
      `| ${LABELS[name]} | ${fmt(ws.acksPerSecond, int)} | ${fmt(ws.p99Ms, ms)} | ${fmt(polling.acksPerSecond, int)} | ${fmt(polling.p99Ms, ms)} | ${fmt(connect.connectsPerSecond, int)} | ${ws.errors + polling.errors + connect.failures} |`,
    );
  }
  lines.push('', '| single-port against | WebSocket throughput | WebSocket p99 | polling throughput | polling p99 | connect rate |', '| --- | --- | --- | --- | --- | --- |');
  for (const peer of d.systems.filter((n) => n !== 'single')) {
    const ws = d.websocket.vs[peer]!;
    const polling = d.polling.vs[peer]!;
    lines.push(`| ${LABELS[peer]} | ${fmt(ws.throughput, ratio)} | ${fmt(ws.p99, ratio)} | ${fmt(polling.throughput, ratio)} | ${fmt(polling.p99, ratio)} | ${fmt(c.vs[peer]!, ratio)} |`);
  }
  lines.push(
    '',
    'Ratios are single-port ÷ peer, per run: throughput and connect rate above 1 and p99 below 1 favour single-port. Clients per worker:',
    ...d.systems.map((name) => `${LABELS[name]}: WebSocket ${d.websocket.systems[name]!.splits.join(', ')}; polling ${d.polling.systems[name]!.splits.join(', ')}`).map((line) => `- ${line}`),
  );
  const problems = [...d.problems, ...c.problems];
  if (problems.length) lines.push('', `**Problems:** ${problems.join('; ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ws: { type: 'string', default: '500' },
      polling: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      connects: { type: 'string', default: '1000' },
    },
  });
  const count = (name: string, value: string | undefined, min: number, max: number) => {
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`--${name}: expected an integer from ${min} to ${max}`);
    return n;
  };
  const started = Date.now();
  const result = await runSinglePort({
    wsClients: count('ws', values.ws, 1, 3000),
    pollingClients: count('polling', values.polling, 1, 2000),
    seconds: count('seconds', values.seconds, 1, 60),
    runs: count('runs', values.runs, 1, 9),
    connects: count('connects', values.connects, 1, 3000),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`## Single-port mode\n\n${singlePortMarkdown(result)}\n\n(took ${Math.round((Date.now() - started) / 1000)} s)\n`);
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
