// The systems the data-path and connection benchmarks compare, each serving socket.io with the demo
// `echo` on loopback:
//   sioroute  the real cluster (front + 2 workers); clients resolve through the front, then connect
//             straight to their worker with the token
//   sioroute1 the same with 1 worker: what one sioroute worker does against the bare process, on the
//             same CPU (with 2 workers, 2 cores hold both workers and the load generator)
//   nginx     nginx ip_hash in front of 2 plain socket.io processes
//   sticky    @socket.io/sticky: a primary relaying to 2 cluster workers
//   bare      one plain socket.io process, the single-process baseline
//   single    sioroute in single-port mode (2 workers): clients resolve and connect on the one port
//             the primary owns; it hands each connection to the worker the client's address hashes
//             to (not in the default comparison: bench/single-port.ts measures it)
// Every child is killed on stop, and, as a last resort, when this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { WsEndpoint } from '../../src/protocol/wire.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { resolveEndpoint } from '../../src/testing/clients.js';
import { startCluster } from '../../src/testing/cluster-process.js';
import { requireNginx, startNginx } from '../../src/testing/nginx-process.js';
import { stopProcessGroup } from '../../src/testing/stop-process.js';

/** The default comparison of the data-path and connection benchmarks. */
export const SYSTEMS = ['sioroute', 'nginx', 'sticky', 'bare'] as const;
export const ALL_SYSTEMS = [...SYSTEMS, 'sioroute1', 'single'] as const;
export type SystemName = (typeof ALL_SYSTEMS)[number];

export type Endpoint = Pick<WsEndpoint, 'url' | 'path' | 'token'>;

export interface RunningSystem {
  readonly name: SystemName;
  /** socket.io processes serving clients. */
  readonly workers: number;
  /** The processes whose trees (children included) make up the system, for CPU accounting. */
  readonly pids: readonly number[];
  /** sioroute's front (`http://127.0.0.1:<port>`), where its own client resolves; none for the peers. */
  readonly frontUrl?: string;
  /** Where a client at this source address connects (for sioroute: a GET /ws-endpoint first). */
  endpoint(localAddress: string): Promise<Endpoint>;
  stop(): Promise<void>;
}

// Last resort for a crash between start and stop: on exit, kill what is still running. Our own
// children are spawned detached, so their group (nginx's workers, sticky's cluster workers) goes too;
// sioroute's supervisor gets SIGTERM and stops its front and workers itself.
const leftovers = new Map<number, () => unknown>();
process.on('exit', () => {
  for (const killNow of leftovers.values()) {
    try {
      killNow();
    } catch {
      // already gone
    }
  }
});

function track(child: ChildProcess, killNow: () => unknown = () => process.kill(-child.pid!, 'SIGKILL')): ChildProcess {
  if (child.pid !== undefined) {
    const pid = child.pid;
    leftovers.set(pid, killNow);
    child.once('exit', () => leftovers.delete(pid));
  }
  return child;
}


/** Start a node script of dist/bench/peers that prints one JSON line with its port. */
async function startScript(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = track(spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'peers', script), ...args], { stdio: ['pipe', 'pipe', 'inherit'], detached: true }));
  try {
    const [line] = (await Promise.race([
      once(createInterface({ input: child.stdout! }), 'line'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`${script} exited with ${String(code)} before printing its port`);
      }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${script} printed no port within 20 s`)), 20_000).unref()),
    ])) as [string];
    return { child, port: (JSON.parse(line) as { port: number }).port };
  } catch (error) {
    await stopProcessGroup(child);
    throw error;
  }
}

const fixed = (name: SystemName, workers: number, pids: number[], url: string, stop: () => Promise<void>): RunningSystem => ({
  name,
  workers,
  pids,
  endpoint: async () => ({ url, path: '/socket.io', token: '' }),
  stop,
});

async function startSioroute(name: 'sioroute' | 'sioroute1' | 'single'): Promise<RunningSystem> {
  const workers = name === 'sioroute1' ? '1' : '2';
  const cluster = await startCluster({ args: name === 'single' ? ['--single-port'] : [], env: { WORKERS: workers, RATE_LIMIT_PER_MINUTE: '1000000' }, timeoutMs: 60_000 });
  track(cluster.process, () => cluster.process.kill('SIGTERM'));
  return {
    name,
    workers: cluster.workers.length,
    pids: [cluster.process.pid!],
    frontUrl: cluster.frontUrl,
    endpoint: (localAddress) => resolveEndpoint(cluster.frontUrl, localAddress),
    stop: async () => {
      await cluster.stop();
    },
  };
}

async function startBare(): Promise<RunningSystem> {
  const { child, port } = await startScript('plain-worker.js', ['--port', '0', '--id', 'bare']);
  return fixed('bare', 1, [child.pid!], `http://127.0.0.1:${port}`, () => stopProcessGroup(child));
}

async function startSticky(): Promise<RunningSystem> {
  const { child, port } = await startScript('sticky-cluster.js', ['--workers', '2']);
  return fixed('sticky', 2, [child.pid!], `http://127.0.0.1:${port}`, () => stopProcessGroup(child));
}

/** nginx ip_hash over the upstreams, as an http-context configuration for the shared nginx starter. */
function ipHashConfig(port: number, upstreams: number[]): string {
  return `# "Connection: upgrade" only for WebSocket handshakes; empty otherwise, so polling requests can
# reuse the keepalive connections to the upstreams.
map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
upstream socketio {
  ip_hash;
${upstreams.map((p) => `  server 127.0.0.1:${p};`).join('\n')}
  keepalive 256;
}
server {
  listen 127.0.0.1:${port};
  location / {
    proxy_pass http://socketio;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_buffering off;
    proxy_read_timeout 120s;
  }
}
`;
}

async function startNginxIpHash(): Promise<RunningSystem> {
  requireNginx('the benchmark compares against nginx ip_hash and never skips it');
  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    const upstreams: number[] = [];
    const pids: number[] = [];
    for (const id of ['n0', 'n1']) {
      const { child, port } = await startScript('plain-worker.js', ['--port', '0', '--id', id]);
      cleanup.push(() => stopProcessGroup(child));
      upstreams.push(port);
      pids.push(child.pid!);
    }
    // Sized for the capacity runs: thousands of proxied connections, each two sockets for nginx.
    const nginx = await startNginx({ httpConfig: (port) => ipHashConfig(port, upstreams), workerProcesses: 'auto', workerConnections: 8192 });
    cleanup.push(() => nginx.stop());
    return fixed('nginx', 2, [nginx.pid, ...pids], nginx.url, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** CPU seconds (user + system) used so far by these processes and all their descendants (Linux /proc). */
export function treeCpuSeconds(roots: readonly number[]): number {
  let ticks = 0;
  const pending = [...roots];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    try {
      // Fields after the command name, which may hold spaces: state is the 3rd, utime the 14th, stime the 15th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) if (child) pending.push(Number(child));
      }
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

export function startSystem(name: SystemName): Promise<RunningSystem> {
  switch (name) {
    case 'sioroute':
    case 'sioroute1':
    case 'single':
      return startSioroute(name);
    case 'nginx':
      return startNginxIpHash();
    case 'sticky':
      return startSticky();
    case 'bare':
      return startBare();
  }
}

/** Start several systems one after another; if one fails, the ones already up are stopped. */
export async function startSystems(names: readonly SystemName[]): Promise<RunningSystem[]> {
  const started: RunningSystem[] = [];
  try {
    for (const name of names) started.push(await startSystem(name));
    return started;
  } catch (error) {
    await stopSystems(started);
    throw error;
  }
}

export async function stopSystems(systems: readonly RunningSystem[]): Promise<void> {
  for (const system of [...systems].reverse()) await system.stop();
}

/** Systems by name (the default comparison when none given); `reference` is the one every ratio is taken against. */
export function parseSystems(names: readonly string[] | undefined, reference: SystemName = 'sioroute', defaults: readonly SystemName[] = SYSTEMS): SystemName[] {
  if (!names) return [...defaults];
  for (const name of names) if (!(ALL_SYSTEMS as readonly string[]).includes(name)) throw new Error(`unknown system "${name}": expected one of ${ALL_SYSTEMS.join(', ')}`);
  if (!names.includes(reference)) throw new Error(`the systems must include ${reference}: every ratio is ${reference} against a peer`);
  return names as SystemName[];
}
