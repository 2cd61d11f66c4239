// A connection generator for bench/capacity.ts: a child process, started by the parent over IPC,
// that holds idle WebSocket clients. Several of them keep each process under its file limit and
// keep the clients' own work off the parent's event loop, where the echo probes are timed.
// Commands: `open` (N more clients from address index X, bounded by a deadline) and `close`.
import type { WsEndpoint } from '../src/protocol/wire.js';
import { clientAddress, connectTo, resolveEndpoint, type DemoSocket } from '../src/testing/clients.js';

export type GeneratorCommand =
  /** With `endpoint`, every client uses it (pinned to one worker); without, each resolves through the front. */
  | { type: 'open'; frontUrl: string; from: number; count: number; deadline: number; endpoint?: WsEndpoint }
  | { type: 'close' };
export type GeneratorReply = { type: 'opened'; open: number; failed: number; firstError?: string } | { type: 'closed' };

/** Connects in flight at once: enough to be quick, few enough not to trip the front's load guard. */
const CONCURRENCY = 64;
const sockets: DemoSocket[] = [];

async function openOne(command: Extract<GeneratorCommand, { type: 'open' }>, index: number): Promise<void> {
  const localAddress = clientAddress(index);
  // A 503 from the front's load guard or a timeout is retried a few times, like a real client would.
  for (let attempt = 0; ; attempt++) {
    try {
      const endpoint = command.endpoint ?? (await resolveEndpoint(command.frontUrl, localAddress));
      sockets.push(await connectTo(endpoint, { localAddress, transports: ['websocket'] }));
      return;
    } catch (error) {
      if (attempt >= 3 || Date.now() + 1000 > command.deadline) throw error;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

async function open(command: Extract<GeneratorCommand, { type: 'open' }>): Promise<GeneratorReply> {
  let next = command.from;
  const end = command.from + command.count;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    // Past the deadline no new connect starts; the ones running end within their own timeouts.
    while (next < end && Date.now() < command.deadline) {
      try {
        await openOne(command, next++);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  failed += end - next;
  return { type: 'opened', open: sockets.filter((s) => s.connected).length, failed, ...(firstError ? { firstError } : {}) };
}

process.on('message', (command: GeneratorCommand) => {
  const reply = command.type === 'open'
    ? open(command)
    : Promise.resolve().then((): GeneratorReply => {
        for (const socket of sockets.splice(0)) socket.close();
        return { type: 'closed' };
      });
  void reply.then((r) => process.send!(r));
});
// The parent gone (finished or killed): nothing of ours may outlive it.
process.on('disconnect', () => process.exit(0));
