// Test support: a ConnectionRouter in a process of its own, so a test can run it under a small file
// limit, handing connections to handoff-child processes. Starts with no worker. Over IPC:
//   -> {type: 'listening', port}              once listening
//   <- {type: 'add-worker', id}  -> {type: 'worker-ready', id}
//   <- {type: 'stats'}           -> {type: 'stats', stats, openFds}
//   node router-host.js [--max-waiting N] [--wait-timeout-ms N]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Membership } from '../registry/membership.js';
import { ConnectionRouter, type HandoffTarget } from '../single-port/connection-router.js';

const { values } = parseArgs({ options: { 'max-waiting': { type: 'string', default: '1024' }, 'wait-timeout-ms': { type: 'string', default: '5000' } } });
const membership = new Membership();
const targets = new Map<string, HandoffTarget>();
const children: ChildProcess[] = [];
const router = new ConnectionRouter({
  host: '127.0.0.1',
  port: 0,
  keyOptions: { ipv4Prefix: 32, ipv6Prefix: 64 },
  membership,
  targetOf: (id) => targets.get(id),
  // Warnings to stderr, for the test's failure messages.
  logger: pino({ level: 'warn' }, process.stderr),
  maxWaiting: Number(values['max-waiting']),
  waitTimeoutMs: Number(values['wait-timeout-ms']),
});

async function addWorker(id: string): Promise<void> {
  const child = fork(fileURLToPath(new URL('./handoff-child.js', import.meta.url)), [id], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  await once(child, 'message');
  const target: HandoffTarget = { workerId: id, send: (socket, done) => child.send({ type: 'connection' }, socket, { keepOpen: true }, (error) => done(error ?? null)) };
  targets.set(id, target);
  const now = Date.now();
  membership.upsert({ id, index: children.length - 1, port: 0, pid: child.pid ?? 0, state: 'ready', weight: 1, clients: 0, startedAt: now, lastSeenAt: now });
}

process.on('message', (message: { type?: string; id?: string }) => {
  if (message.type === 'add-worker' && message.id) {
    void addWorker(message.id).then(() => process.send!({ type: 'worker-ready', id: message.id }));
  } else if (message.type === 'stats') {
    process.send!({ type: 'stats', stats: router.stats(), openFds: readdirSync('/proc/self/fd').length });
  }
});
// The test holds the channel: when it goes, so does this process and its children.
process.on('disconnect', () => {
  for (const child of children) child.kill('SIGKILL');
  process.exit(0);
});

const port = await router.listen();
process.send!({ type: 'listening', port });
