// A client generator for bench/capacity.ts: a child process holding many idle clients, each the
// product's own client (sioroute/client's RoutedSocket) from its own loopback address, so a killed
// worker's clients re-home exactly as users' clients would. Several generators keep each process
// under the 20,000 open files it may hold and keep the clients' work off the parent's event loop.
// Commands over IPC: `open` (more clients), `mark` (start counting re-homes), `report`, `close`.
import { request } from 'node:http';
import { connect, type RoutedSocket } from '../src/client/index.js';
import { clientAddress } from '../src/testing/clients.js';

export type GeneratorCommand =
  | { type: 'open'; frontUrl: string; from: number; count: number; deadline: number }
  | { type: 'mark' }
  | { type: 'report' }
  | { type: 'close' };
export interface ResolveCounts { ok: number; overloaded: number; otherStatus: number; failed: number }
export interface GeneratorReport {
  type: 'report';
  /** Clients whose RoutedSocket is connected now. */
  connected: number;
  /** Connected clients by worker id. */
  byWorker: Record<string, number>;
  /** Since the last `mark`: per client that lost its connection, when (ms after the mark) and how long until it was back (ms; -1: not yet). */
  losses: { workerId: string; lostAtMs: number; backAfterMs: number }[];
  /** Answers of GET /ws-endpoint since the last `mark`. */
  resolves: ResolveCounts;
  rssMiB: number;
  /** CPU seconds this generator has used so far. */
  cpuSeconds: number;
}
export type GeneratorReply = { type: 'opened'; connected: number; failed: number; seconds: number } | GeneratorReport | { type: 'closed' };

/** Connects in flight at once per generator. */
const CONCURRENCY = 48;
const RESOLVE_TIMEOUT_MS = 10_000;

type Loss = GeneratorReport['losses'][number];
interface Held { socket: RoutedSocket; workerId: string | null; lostAt: number | null; loss: Loss | null }
const held: Held[] = [];
let markedAt = performance.now();
let losses: GeneratorReport['losses'] = [];
let resolves: ResolveCounts = { ok: 0, overloaded: 0, otherStatus: 0, failed: 0 };

/** The client's FetchLike over node:http, from the client's own address (Node's fetch cannot bind one). */
function fetchFrom(localAddress: string) {
  return (url: string, init: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const req = request(url, { localAddress, headers: { accept: 'application/json' }, signal: init.signal ?? AbortSignal.timeout(RESOLVE_TIMEOUT_MS) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 200) resolves.ok++;
          else if (status === 503 && Buffer.concat(chunks).includes('OVERLOADED')) resolves.overloaded++;
          else resolves.otherStatus++;
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve(new Response(Buffer.concat(chunks), { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', (error) => {
        resolves.failed++;
        reject(error);
      });
      req.end();
    });
}

function openOne(frontUrl: string, index: number): Promise<boolean> {
  const localAddress = clientAddress(index);
  const entry: Held = { socket: undefined as unknown as RoutedSocket, workerId: null, lostAt: null, loss: null };
  return new Promise((resolve) => {
    entry.socket = connect({
      endpointUrl: `${frontUrl}/ws-endpoint`,
      fetch: fetchFrom(localAddress),
      socketOptions: { localAddress, transports: ['websocket'] } as object,
      onStateChange: (state, info) => {
        const now = performance.now();
        if (state === 'connected') {
          if (entry.lostAt !== null && entry.loss) entry.loss.backAfterMs = Math.round(now - entry.lostAt);
          entry.lostAt = null;
          entry.loss = null;
          entry.workerId = info.workerId;
          resolve(true);
        } else if (state === 'reconnecting' && entry.workerId !== null && entry.lostAt === null) {
          entry.lostAt = now;
          entry.loss = { workerId: entry.workerId, lostAtMs: Math.round(now - markedAt), backAfterMs: -1 };
          losses.push(entry.loss);
        } else if (state === 'failed') resolve(false);
      },
    });
    held.push(entry);
  });
}

async function open(command: Extract<GeneratorCommand, { type: 'open' }>): Promise<GeneratorReply> {
  const started = performance.now();
  let next = command.from;
  const end = command.from + command.count;
  let failed = 0;
  const lane = async () => {
    while (next < end && Date.now() < command.deadline) {
      const index = next++;
      const left = command.deadline - Date.now();
      const ok = await Promise.race([openOne(command.frontUrl, index), new Promise<boolean>((r) => setTimeout(() => r(false), left).unref())]);
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  failed += end - next;
  return { type: 'opened', connected: held.filter((h) => h.socket.connected).length, failed, seconds: (performance.now() - started) / 1000 };
}

function report(): GeneratorReport {
  const byWorker: Record<string, number> = {};
  let connected = 0;
  for (const h of held) {
    if (!h.socket.connected) continue;
    connected++;
    const id = h.socket.currentWorkerId ?? '?';
    byWorker[id] = (byWorker[id] ?? 0) + 1;
  }
  return { type: 'report', connected, byWorker, losses, resolves, rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20), cpuSeconds: (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; })() };
}

process.on('message', (command: GeneratorCommand) => {
  const reply: Promise<GeneratorReply> | GeneratorReply =
    command.type === 'open' ? open(command)
    : command.type === 'mark' ? ((markedAt = performance.now()), (losses = []), (resolves = { ok: 0, overloaded: 0, otherStatus: 0, failed: 0 }), report())
    : command.type === 'report' ? report()
    : (held.splice(0).forEach((h) => h.socket.close()), { type: 'closed' });
  void Promise.resolve(reply).then((r) => process.send!(r));
});
// The parent gone (finished or killed): nothing of ours may outlive it.
process.on('disconnect', () => process.exit(0));
