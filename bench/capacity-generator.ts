// A client generator for bench/capacity.ts: a child process holding many idle clients, each from
// its own loopback address, each following sioroute/client's policy (bench/protocol-client.ts), so
// a killed worker's clients re-home as users' clients would. Several generators keep each process
// under the 20,000 open files it may hold and keep the clients' work off the parent's event loop.
// Commands over IPC: `open` (more clients), `mark` (start counting re-homes), `report`, `close`.
import { clientAddress } from '../src/testing/clients.js';
import { fetchFrom, ProtocolClient, type ResolveCounts } from './protocol-client.js';

export type GeneratorCommand =
  | { type: 'open'; frontUrl: string; from: number; count: number; deadline: number }
  | { type: 'mark' }
  | { type: 'report' }
  | { type: 'close' };
export type { ResolveCounts } from './protocol-client.js';
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

type Loss = GeneratorReport['losses'][number];
interface Held { client: ProtocolClient; workerId: string | null; lostAt: number | null; loss: Loss | null }
const held: Held[] = [];
let markedAt = performance.now();
let losses: GeneratorReport['losses'] = [];
/** One object for the whole run: every client's fetch counts into it. */
const resolves: ResolveCounts = { ok: 0, overloaded: 0, otherStatus: 0, failed: 0, failedBy: {} };

function openOne(frontUrl: string, index: number): Promise<boolean> {
  const localAddress = clientAddress(index);
  const entry: Held = { client: undefined as unknown as ProtocolClient, workerId: null, lostAt: null, loss: null };
  held.push(entry);
  return new Promise((resolve) => {
    entry.client = new ProtocolClient(`${frontUrl}/ws-endpoint`, localAddress, fetchFrom(localAddress, resolves), (client) => {
      const now = performance.now();
      if (client.state === 'connected') {
        if (entry.loss && entry.lostAt !== null) entry.loss.backAfterMs = Math.round(now - entry.lostAt);
        entry.lostAt = null;
        entry.loss = null;
        entry.workerId = client.workerId;
        resolve(true);
      } else if (client.state === 'reconnecting' && entry.workerId !== null && entry.lostAt === null) {
        entry.lostAt = now;
        entry.loss = { workerId: entry.workerId, lostAtMs: Math.round(now - markedAt), backAfterMs: -1 };
        losses.push(entry.loss);
      }
    });
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
  return { type: 'opened', connected: held.filter((h) => h.client.state === 'connected').length, failed, seconds: (performance.now() - started) / 1000 };
}

function report(): GeneratorReport {
  const byWorker: Record<string, number> = {};
  let connected = 0;
  for (const h of held) {
    if (h.client.state !== 'connected') continue;
    connected++;
    const id = h.client.workerId ?? '?';
    byWorker[id] = (byWorker[id] ?? 0) + 1;
  }
  return { type: 'report', connected, byWorker, losses, resolves: { ...resolves, failedBy: { ...resolves.failedBy } }, rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20), cpuSeconds: (() => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; })() };
}

process.on('message', (command: GeneratorCommand & { id: number }) => {
  const reply: Promise<GeneratorReply> | GeneratorReply =
    command.type === 'open' ? open(command)
    : command.type === 'mark' ? ((markedAt = performance.now()), (losses = []), Object.assign(resolves, { ok: 0, overloaded: 0, otherStatus: 0, failed: 0, failedBy: {} }), report())
    : command.type === 'report' ? report()
    : (held.splice(0).forEach((h) => h.client.close()), { type: 'closed' });
  void Promise.resolve(reply).then((r) => process.send!({ ...r, id: command.id }));
});
// The parent gone (finished or killed): nothing of ours may outlive it.
process.on('disconnect', () => process.exit(0));
