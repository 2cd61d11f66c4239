// @socket.io/sticky as its README sets it up: a primary owns the public port and hands every
// connection (or, for requests with a body, every chunk over IPC) to the cluster worker that owns
// the session id; new sessions go to the worker with the fewest. The workers run the same plain
// socket.io demo as the other peers. Started by bench/peers/servers.ts; prints {"port":...}.
//   node dist/bench/peers/sticky-cluster.js [--workers 2]
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { setupMaster, setupWorker } from '@socket.io/sticky';
import { attachDemo } from './plain-worker.js';

if (cluster.isPrimary) {
  const { values } = parseArgs({ options: { workers: { type: 'string', default: '2' } } });
  const workers = Number(values.workers);
  const http = createServer();
  setupMaster(http, { loadBalancingMethod: 'least-connection' });
  // As the README says: the "advanced" serialization keeps forwarded Buffers as Buffers over IPC.
  cluster.setupPrimary({ serialization: 'advanced' });

  let ready = 0;
  let stopping = false;
  cluster.on('message', (_worker, message: { type?: string }) => {
    // Listen only once every worker can take connections, so the first client never waits.
    if (message?.type === 'bench:ready' && ++ready === workers) {
      http.listen(0, '127.0.0.1', () => {
        const address = http.address();
        process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, pid: process.pid })}\n`);
      });
    }
  });
  // A benchmark with a dead worker measures nothing: fail loudly instead of respawning.
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`sticky worker ${worker.process.pid} exited (${code ?? signal}); stopping\n`);
    stop(1);
  });
  for (let i = 0; i < workers; i++) cluster.fork({ STICKY_WORKER_ID: `s${i}` });

  const stop = (code: number) => {
    stopping = true;
    http.close();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // Cluster workers also exit on their own once the primary's IPC channel closes.
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0));
  // The parent holds our stdin: when it dies, for whatever reason, we go too.
  process.stdin.on('end', () => stop(0));
  process.stdin.resume();
} else {
  // Workers never listen: the primary hands them their connections.
  const io = attachDemo(createServer(), process.env.STICKY_WORKER_ID ?? 'sticky');
  setupWorker(io);
  process.send!({ type: 'bench:ready' });
  process.on('SIGTERM', () => process.exit(0));
}
