// Test support: the embedded cluster behind Debian's nginx on one public port, configured by exactly
// what users run: `sioroute nginx-config` (the real CLI) renders the configuration for the test's
// ports, nginx loads it, and sioroute starts with TRUST_PROXY and a /w/{index} WORKER_PUBLIC_URL.
import { startCluster, runCli, type RunningCluster } from './cluster-process.js';
import { freePortRun } from './free-ports.js';
import { startNginx, type RunningNginx } from './nginx-process.js';

export interface BehindNginx {
  readonly nginx: RunningNginx;
  readonly cluster: RunningCluster;
  /** The configuration nginx runs, as `sioroute nginx-config` printed it. */
  readonly nginxConfig: string;
  readonly frontPort: number;
  readonly workerBasePort: number;
  /** Stops sioroute (resolving with its exit code), then nginx. */
  stop(): Promise<number | null>;
}

export interface BehindNginxOptions {
  readonly workers: number;
  /** WORKER_PUBLIC_URL for nginx's port. @default http://127.0.0.1:<port>/w/{index} */
  readonly workerPublicUrl?: (nginxPort: number) => string;
  /** More settings for sioroute. */
  readonly env?: Record<string, string>;
  /** Changes to the generated configuration before nginx loads it (a misconfigured proxy). */
  readonly editConfig?: (config: string) => string;
}

export async function startBehindNginx(options: BehindNginxOptions): Promise<BehindNginx> {
  const first = await freePortRun(1 + options.workers);
  const frontPort = first;
  const workerBasePort = first + 1;
  let nginxConfig = '';
  const nginx = await startNginx({
    httpConfig: async (port) => {
      const args = ['nginx-config', '--listen', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--port', String(frontPort)];
      const rendered = await runCli([...args, '--workers', String(options.workers), '--worker-base-port', String(workerBasePort)]);
      if (rendered.code !== 0) throw new Error(`sioroute nginx-config exited with ${String(rendered.code)}: ${rendered.stderr}`);
      nginxConfig = options.editConfig ? options.editConfig(rendered.stdout) : rendered.stdout;
      return nginxConfig;
    },
  });
  let cluster: RunningCluster;
  try {
    cluster = await startCluster({
      env: {
        PORT: String(frontPort),
        WORKER_BASE_PORT: String(workerBasePort),
        WORKERS: String(options.workers),
        TRUST_PROXY: '127.0.0.1',
        WORKER_PUBLIC_URL: options.workerPublicUrl?.(nginx.port) ?? `http://127.0.0.1:${nginx.port}/w/{index}`,
        ...options.env,
      },
      timeoutMs: 30_000,
    });
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  return {
    nginx,
    cluster,
    nginxConfig,
    frontPort,
    workerBasePort,
    async stop() {
      try {
        return await cluster.stop();
      } finally {
        await nginx.stop();
      }
    },
  };
}
