// Test support: a run of consecutive free loopback ports, for set-ups that need ports fixed before
// start (nginx routes /w/N/ to WORKER_BASE_PORT + N and cannot learn a port picked at start).
// Drawn below Linux's ephemeral range (32768-60999), where port-0 listeners and outgoing connections
// of concurrent tests never land, and checked by binding each one.
import { once } from 'node:events';
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;
const ATTEMPTS = 50;

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen({ port, host: '127.0.0.1', exclusive: true });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e as Error))]);
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/** The first of `count` consecutive ports that were all free a moment ago. */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const first = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    let free = true;
    for (let port = first; free && port < first + count; port++) free = await isFree(port);
    if (free) return first;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW} and ${HIGH} in ${ATTEMPTS} attempts`);
}
