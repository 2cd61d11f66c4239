// A plain socket.io server with the demo's `echo` (and `whoami`, so the benchmark can count where
// clients landed): the upstream behind nginx, the worker of @socket.io/sticky, and alone the
// single-process baseline. No tokens, no CORS, no adapter: the least a socket.io process can do.
//   node dist/bench/peers/plain-worker.js --port 0 --id n0   prints {"port":...,"pid":...}
import { createServer, type Server as HttpServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

/** Socket.IO on `http` with the demo events; the same options as a sioroute worker where they matter. */
export function attachDemo(http: HttpServer, workerId: string): Server {
  const io = new Server(http, { path: '/socket.io', serveClient: false, maxHttpBufferSize: 100_000 });
  io.on('connection', (socket) => {
    socket.on('echo', (payload: unknown, ack: unknown) => {
      if (typeof ack === 'function') ack(payload);
    });
    socket.on('whoami', (ack: unknown) => {
      if (typeof ack === 'function') ack({ workerId, pid: process.pid, address: socket.handshake.address });
    });
  });
  return io;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, id: { type: 'string', default: 'bare' } } });
  const http = createServer();
  attachDemo(http, values.id!);
  http.listen(Number(values.port), values.host, () => {
    const address = http.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, pid: process.pid })}\n`);
  });
  // The kernel closes every socket of an exiting process; nothing here needs a graceful goodbye.
  process.on('SIGTERM', () => process.exit(0));
  // The parent holds our stdin: when it dies, for whatever reason, we go too.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
