// Simulated workers for bench/membership-scale.ts: a child process that registers a list of worker
// ids in Redis through the real registration (redisRegistration: one Redis client per worker, the
// record written by the register script, a heartbeat every REGISTRY_HEARTBEAT_MS) with valid
// records but no socket.io server behind them. The parent kills it with SIGKILL to play a crash
// (nothing deregisters). Command: `join` (ids from an index; each starts after a random delay within
// one heartbeat, so the beats are spread like independent processes'). Also `cpu`.
import { pino } from 'pino';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { REGISTRY_HEARTBEAT_MS } from '../src/registry/redis-schema.js';
import type { WorkerRecord } from '../src/registry/worker-record.js';
import { redisRegistration, type WorkerRegistration } from '../src/worker/worker-registration.js';

export type WorkersCommand = { type: 'join'; url: string; ids: string[]; firstIndex: number } | { type: 'cpu' };
export type WorkersReply =
  /** joinedAt[i]: epoch ms when ids[i]'s registration resolved (written and announced). */
  | { type: 'joined'; joinedAt: number[] }
  | { type: 'cpu'; cpuMs: number };

const epochMs = () => performance.timeOrigin + performance.now();
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const logger = pino({ level: 'silent' });
const registrations: WorkerRegistration[] = [];

function recordOf(id: string, index: number): () => WorkerRecord {
  const instance = randomUUID();
  const startedAt = Date.now();
  // 10.x.y.z:3131 addresses, one per worker, as if every worker were on its own host.
  const publicUrl = `http://10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}:3131`;
  // The client count moves between beats, as on a busy worker: the record's text changes, its routing does not.
  return () => ({ id, index, port: 3131, publicUrl, weight: 1, state: 'ready', clients: Math.floor(Math.random() * 10_000), pid: process.pid, startedAt, instance });
}

async function join(command: Extract<WorkersCommand, { type: 'join' }>): Promise<WorkersReply> {
  const joinedAt = await Promise.all(command.ids.map(async (id, i) => {
    await sleep(Math.random() * REGISTRY_HEARTBEAT_MS);
    const registration = redisRegistration({ url: command.url });
    registrations.push(registration);
    await registration.join(recordOf(id, command.firstIndex + i), logger);
    return epochMs();
  }));
  return { type: 'joined', joinedAt };
}

process.on('message', (command: WorkersCommand & { id: number }) => {
  const reply = command.type === 'join'
    ? join(command)
    : Promise.resolve<WorkersReply>({ type: 'cpu', cpuMs: cpuMs() });
  void reply.then((r) => process.send!({ ...r, id: command.id }));
});
// The parent gone (finished or killed): nothing of ours may outlive it.
process.on('disconnect', () => process.exit(0));
