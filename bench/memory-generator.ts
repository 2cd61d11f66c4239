// A lean client generator for bench/memory.ts: a child process holding many idle WebSocket
// connections, each from its own loopback address, on the `ws` package alone (no socket.io-client:
// its objects would cost this process more than the servers being measured). It speaks just
// enough Engine.IO v4 / Socket.IO v5 to stay connected: on the open packet ('0{...}') it sends
// the namespace CONNECT with the routing token ('40{"token":...}'), and it answers every ping
// ('2') with a pong ('3'). Commands over IPC (bench/ipc-child.ts): `open`, `count`, `close`.
import { WebSocket } from 'ws';
import { clientAddress } from '../src/testing/clients.js';

/**
 * `raw`: a WebSocket handshake and nothing else (the tcp and ws floors);
 * `eio`: connected on Engine.IO's open packet, pings answered (the engine.io floor);
 * `sio`: connected once the default namespace answers CONNECT (socket.io and sioroute).
 */
export type ClientMode = 'raw' | 'eio' | 'sio';
/** One server process: its WebSocket URL and the token its admission wants (socket.io ignores it). */
export interface Target { url: string; token: string }
export type MemoryGeneratorCommand =
  /** Clients `from` .. `from + count - 1`, client i to target i % targets.length. */
  | { type: 'open'; targets: Target[]; mode: ClientMode; from: number; count: number; deadline: number }
  | { type: 'count' }
  | { type: 'close' };
export type MemoryGeneratorReply = { id: number; opened: number; failed: number; open: number; firstError: string | null };

/** Handshakes in flight at once per generator. */
const CONCURRENCY = 64;
const held = new Set<WebSocket>();
let firstError: string | null = null;

function openOne(target: Target, index: number, mode: ClientMode, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(target.url, { localAddress: clientAddress(index), perMessageDeflate: false });
    const timer = setTimeout(() => fail('no answer before the deadline'), Math.max(0, deadline - Date.now()));
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    function fail(reason: string) {
      firstError ??= reason;
      ws.terminate();
      done(false);
    }
    ws.on('error', (error) => fail(error.message));
    ws.on('close', () => held.delete(ws));
    if (mode === 'raw') {
      ws.on('open', () => {
        held.add(ws);
        done(true);
      });
      return;
    }
    ws.on('message', (data) => {
      const text = String(data);
      if (text === '2') ws.send('3');
      else if (text.startsWith('0')) {
        if (mode === 'eio') {
          held.add(ws);
          done(true);
        } else ws.send(`40${JSON.stringify({ token: target.token })}`);
      } else if (text.startsWith('40')) {
        held.add(ws);
        done(true);
      } else if (text.startsWith('44')) fail(`refused: ${text.slice(0, 120)}`);
    });
  });
}

async function open(command: Extract<MemoryGeneratorCommand, { type: 'open' }>): Promise<Omit<MemoryGeneratorReply, 'id'>> {
  let next = command.from;
  const end = command.from + command.count;
  let opened = 0;
  let failed = 0;
  const lane = async () => {
    while (next < end && Date.now() < command.deadline) {
      const index = next++;
      if (await openOne(command.targets[index % command.targets.length]!, index, command.mode, command.deadline)) opened++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  failed += end - next;
  return { opened, failed, open: held.size, firstError };
}

process.on('message', (command: MemoryGeneratorCommand & { id: number }) => {
  const reply = async (): Promise<Omit<MemoryGeneratorReply, 'id'>> => {
    if (command.type === 'open') return open(command);
    if (command.type === 'close') for (const ws of held) ws.terminate();
    return { opened: 0, failed: 0, open: held.size, firstError };
  };
  void reply().then((r) => process.send!({ ...r, id: command.id }));
});
// The parent gone (finished or killed): nothing of ours may outlive it.
process.on('disconnect', () => process.exit(0));
