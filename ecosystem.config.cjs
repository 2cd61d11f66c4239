// pm2: one front and N workers as separate services on this machine.
//   ROUTING_SECRET=$(openssl rand -hex 32) npx pm2 start ecosystem.config.cjs
// Workers run in pm2's fork mode, each on its own port (WORKER_BASE_PORT + NODE_APP_INSTANCE),
// because pm2's cluster mode shares one port round-robin, which is what breaks Socket.IO sessions.
// With REDIS_URL set, workers register in Redis and broadcast through it, and the front watches
// Redis; without it the front probes the workers listed in WORKER_URLS (computed here) and
// broadcasts stay within each worker.
// Settings come from the environment pm2 is started with (every variable of the README's table).
const path = require('node:path');
const os = require('node:os');

const env = process.env;
const workers = Number(env.WORKERS ?? Math.max(2, os.availableParallelism()));
const basePort = Number(env.WORKER_BASE_PORT ?? 3131);
const host = env.HOST ?? '127.0.0.1';
const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
const drainSeconds = Number(env.DRAIN_SECONDS ?? 10);
const cli = path.join(__dirname, 'dist', 'src', 'cli.js');

const membership = env.REDIS_URL
  ? {}
  : { WORKER_URLS: Array.from({ length: workers }, (_, i) => `http://${probeHost}:${basePort + i}`).join(',') };

module.exports = {
  apps: [
    {
      name: 'sioroute-front',
      script: cli,
      args: 'front',
      exec_mode: 'fork',
      instances: 1,
      env: { ...membership },
      // The front says `ready` once it listens; pm2 waits for it (listen_timeout) before it counts
      // the start as done, and a reload does not move on before.
      wait_ready: true,
      listen_timeout: 15_000,
      kill_timeout: 5000,
    },
    {
      name: 'sioroute-worker',
      script: cli,
      args: 'worker',
      exec_mode: 'fork',
      instances: workers,
      // pm2 gives each instance NODE_APP_INSTANCE = 0, 1, ...: the worker's index and port offset.
      env: { WORKER_BASE_PORT: String(basePort) },
      // A worker says `ready` once it listens and has joined routing.
      wait_ready: true,
      listen_timeout: 15_000,
      // SIGINT drains the worker (clients move over DRAIN_SECONDS); give it that long before SIGKILL.
      kill_timeout: (drainSeconds + 5) * 1000,
      // Replace one instance at a time: `pm2 reload sioroute-worker --parallel 1` (pm2's default
      // runs two actions at once for more than two instances, which would drain two workers together).
    },
  ],
};
