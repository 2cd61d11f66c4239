// The seed's classic demo on a real worker, with real socket.io clients: `b:message` answered by
// `s:message`, on the default namespace with '/: ' and the port, on `/ws` with the port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { pino } from 'pino';
import { signToken } from '../routing/token.js';
import { connectTo, type DemoSocket } from '../testing/clients.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'demo-handlers-secret-demo-handlers-secret';

/** Send `b:message` and wait (bounded) for the first `s:message`. */
async function ask(socket: DemoSocket, data: unknown): Promise<unknown> {
  const reply = once(socket as unknown as NodeJS.EventEmitter, 's:message', { signal: AbortSignal.timeout(5000) });
  (socket as unknown as { emit(event: string, data: unknown): void }).emit('b:message', data);
  const [answer] = (await reply.catch(() => assert.fail('no s:message within 5 s'))) as unknown[];
  return answer;
}

describe('the classic b:message demo', () => {
  let server: WorkerServer;
  let port: number;
  const endpoint = () => ({ url: `http://127.0.0.1:${port}`, path: '/socket.io', token: signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, secret) });

  before(async () => {
    server = createWorkerServer({
      workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret, allowedOrigins: [], frontPort: undefined,
      logger: pino({ level: 'silent' }), register: register as unknown as RegisterHandlers,
    });
    port = await server.start();
  });
  after(() => server.close());

  for (const transport of ['websocket', 'polling'] as const) {
    test(`on the default namespace it answers '/: ' and the port, on /ws its current answer (${transport})`, async () => {
      const root = await connectTo(endpoint(), { localAddress: '127.0.5.21', transports: [transport] });
      const ws = await connectTo(endpoint(), { localAddress: '127.0.5.22', transports: [transport], namespace: '/ws' });
      try {
        assert.equal(await ask(root, 'hello'), `/: ${port}`);
        assert.deepEqual(await ask(ws, 'hello'), { port, workerId: 'w0', data: 'hello' });
      } finally {
        root.close();
        ws.close();
      }
    });
  }
});
