// Test support: a process that takes the connections a ConnectionRouter hands over (a worker's role
// in single-port mode, without the worker): it answers each with one line, `<id> <peer address>`,
// and closes it, without reading anything from the client. On {type: 'block', ms} it says
// `blocking`, then holds its event loop for that long, so it acknowledges no handle meanwhile.
//   fork(handoff-child.js, [id])
import type { Socket } from 'node:net';

const id = process.argv[2] ?? 'child';

process.on('message', (message: unknown, handle: unknown) => {
  const m = message as { type?: unknown; ms?: unknown } | null;
  if (m?.type === 'connection') {
    // The client may be gone already: then no handle arrives.
    if (handle) {
      const socket = handle as Socket;
      socket.on('error', () => {});
      socket.end(`${id} ${socket.remoteAddress}\n`);
    }
    return;
  }
  if (m?.type === 'block' && typeof m.ms === 'number') {
    const ms = m.ms;
    process.send!({ type: 'blocking' }, () => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // held on purpose
      }
    });
  }
});

process.send!({ type: 'ready' });
