// The demo application every worker runs unless HANDLERS names another module.
// It is also the reference for writing one: export `register(io, context)`.
import type { Server, Socket } from 'socket.io';
import { CHAT_TEXT_MAX, type ClientToServerEvents, type ServerToClientEvents } from '../protocol/wire.js';
import type { WorkerContext } from './worker-context.js';

interface ClassicEvents {
  'b:message': (data: unknown) => void;
}
interface ClassicServerEvents {
  's:message': (reply: { port: number; workerId: string; data: unknown }) => void;
}
interface ClassicRootServerEvents {
  's:message': (reply: string) => void;
}

export function register(io: Server<ClientToServerEvents, ServerToClientEvents>, context: WorkerContext): void {
  io.on('connection', (socket) => {
    socket.on('whoami', (ack) => {
      if (typeof ack !== 'function') return;
      ack({ workerId: context.workerId, pid: context.pid, address: socket.handshake.address });
    });
    socket.on('echo', (payload, ack) => {
      if (typeof ack === 'function') ack(payload);
    });
    socket.on('chat:send', (text, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      if (typeof text !== 'string' || text.trim().length === 0 || text.length > CHAT_TEXT_MAX) {
        reply({ ok: false, error: `CHAT_TEXT_INVALID: expected 1 to ${CHAT_TEXT_MAX} characters` });
        return;
      }
      // Through the adapter: reaches the clients of every worker.
      io.emit('chat:message', { from: `${context.workerId}/${socket.id.slice(0, 4)}`, text, at: Date.now() });
      reply({ ok: true });
    });
    // The classic demo of cluster examples, on the default namespace: `s:message` with '/: ' and the port.
    const classicRoot = socket as unknown as Socket<ClassicEvents, ClassicRootServerEvents>;
    classicRoot.on('b:message', () => {
      classicRoot.emit('s:message', `/: ${context.port}`);
    });
  });

  // The same demo on `/ws`: `b:message` answered by `s:message` with the worker's port.
  const classic = io.of('/ws') as unknown as Server<ClassicEvents, ClassicServerEvents>;
  classic.on('connection', (socket) => {
    socket.on('b:message', (data) => {
      socket.emit('s:message', { port: context.port, workerId: context.workerId, data });
    });
  });
}
