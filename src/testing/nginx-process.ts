// Test support: run Debian's nginx in the foreground on a free loopback port, in a temporary prefix
// directory, with an http-context configuration given by the caller (upstreams, maps, server
// blocks). Used by the nginx tests, the end-to-end tests and the benchmark's ip_hash peer.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcessGroup } from './stop-process.js';
import { freePortRun } from './free-ports.js';

export const NGINX_PATH = '/usr/sbin/nginx';

export interface NginxOptions {
  /** The http-context configuration for nginx listening on this loopback port. */
  readonly httpConfig: (port: number) => string | Promise<string>;
  /** @default 1 */
  readonly workerProcesses?: number | 'auto';
  /** @default 1024 */
  readonly workerConnections?: number;
  /** Why nginx is needed, for the error when it is missing. @default 'the nginx tests run Debian\'s nginx' */
  readonly neededFor?: string;
}

export interface RunningNginx {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** The temporary prefix directory (its configuration is nginx.conf there). */
  readonly dir: string;
  /** The last few kB nginx wrote to its error log (stderr). */
  errors(): string;
  /** SIGTERM (SIGKILL to its group after 5 s), then the directory is removed. */
  stop(): Promise<void>;
}

/** Fails loudly when Debian's nginx is not installed: nothing that needs it is skipped. */
export function requireNginx(neededFor = "the nginx tests run Debian's nginx"): void {
  if (!existsSync(NGINX_PATH)) throw new Error(`nginx is missing: ${NGINX_PATH} does not exist, and ${neededFor}. Install it: apt-get install -y nginx`);
}

// Last resort for a crash between start and stop: nginx runs in its own process group (master and
// workers), killed on exit.
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function mainConfig(dir: string, options: Pick<NginxOptions, 'workerProcesses' | 'workerConnections'>): string {
  // As root, nginx's workers would switch to "nobody" and could not read the temporary directory.
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes ${options.workerProcesses ?? 1};
worker_rlimit_nofile ${Math.max(1024, 2 * (options.workerConnections ?? 1024) + 100)};
events { worker_connections ${options.workerConnections ?? 1024}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/http.conf;
}
`;
}


function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}


const nginxArgs = (dir: string, test: boolean) => [
  ...(test ? ['-t', '-q'] : []),
  '-e',
  'stderr',
  '-p',
  `${dir}/`,
  '-c',
  join(dir, 'nginx.conf'),
  '-g',
  `${test ? '' : 'daemon off; '}pid ${dir}/nginx.pid; error_log stderr;`,
];

async function preparedDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'logs'));
  return dir;
}

/**
 * `nginx -t` on an http-context configuration: resolves with nginx's complaint, or undefined when
 * nginx accepts it.
 */
export async function checkNginxConfig(http: string): Promise<string | undefined> {
  requireNginx();
  const dir = await preparedDir('sioroute-nginx-check-');
  try {
    await writeFile(join(dir, 'http.conf'), http);
    await writeFile(join(dir, 'nginx.conf'), mainConfig(dir, {}));
    const child = spawn(NGINX_PATH, nginxArgs(dir, true), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return code === 0 ? undefined : stderr.trim() || `nginx -t exited with ${String(code)}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Start nginx in the foreground; resolves once it accepts connections on its port. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  requireNginx(options.neededFor);
  const dir = await preparedDir('sioroute-nginx-');
  try {
    // nginx cannot listen on port 0 and say which port it got: take a free one, retry if it was
    // taken meanwhile.
    for (let attempt = 1; ; attempt++) {
      const port = await freePortRun(1);
      await writeFile(join(dir, 'http.conf'), await options.httpConfig(port));
      await writeFile(join(dir, 'nginx.conf'), mainConfig(dir, options));
      const child = spawn(NGINX_PATH, nginxArgs(dir, false), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      running.add(child.pid!);
      child.once('exit', () => running.delete(child.pid!));
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
      const deadline = Date.now() + 10_000;
      while (child.exitCode === null && child.signalCode === null && !(await canConnect(port))) {
        if (Date.now() > deadline) {
          await stopProcessGroup(child);
          throw new Error(`nginx did not accept connections within 10 s:\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (child.exitCode === null && child.signalCode === null) {
        return {
          port,
          url: `http://127.0.0.1:${port}`,
          pid: child.pid!,
          dir,
          errors: () => stderr,
          stop: async () => {
            await stopProcessGroup(child);
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      if (attempt >= 3 || !/Address already in use/.test(stderr)) throw new Error(`nginx exited at start (${child.exitCode ?? child.signalCode}):\n${stderr}`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
