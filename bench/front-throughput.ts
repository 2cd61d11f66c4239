// Front benchmark: GET /ws-endpoint (hash the client, sign a token, answer JSON) against a
// constant-JSON route of the same fastify app, in the same process, in the same run. Clients are
// spread over many addresses through a trusted X-Forwarded-For. The ratio is the figure to quote.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { PACKAGE_ROOT } from '../src/paths.js';
import { join } from 'node:path';
import { spread, type Spread } from './stats.js';

export interface Sample {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}


type Route = 'wsEndpoint' | 'constant' | 'constantLimited';
const PATHS: Record<Route, string> = { wsEndpoint: '/ws-endpoint', constant: '/bench-constant', constantLimited: '/bench-constant-limited' };

export interface FrontThroughputResult {
  durationSeconds: number;
  connections: number;
  runs: number;
  routes: Record<Route, { requestsPerSecond: Spread; p99Ms: Spread; non2xx: number }>;
  /** ws-endpoint requests per second over the constant route's, median of the per-run ratios. */
  ratio: Spread;
  /** The rate-limited constant route over the plain one: what the limiter alone costs. */
  limiterRatio: Spread;
}


async function load(url: string, durationSeconds: number, connections: number): Promise<Sample> {
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'GET',
        // A different client address per request: 65,000 distinct keys, as a real crowd.
        setupRequest: (request) => {
          n = (n + 1) % 65_000;
          request.headers = { ...request.headers, 'x-forwarded-for': `10.${(n >> 8) & 255}.${n & 255}.${(n * 7) & 255}` };
          return request;
        },
      },
    ],
  });
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx };
}

export async function runFrontThroughput(options: { durationSeconds: number; runs: number; connections: number }): Promise<FrontThroughputResult> {
  const server = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'bench', 'front-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await Promise.race([
      once(createInterface({ input: server.stdout! }), 'line'),
      once(server, 'exit').then(() => {
        throw new Error('the front benchmark server exited');
      }),
    ])) as [string];
    const { port } = JSON.parse(line) as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const routes = Object.keys(PATHS) as Route[];
    // Warm-up, not measured.
    for (const route of routes) await load(`${base}${PATHS[route]}`, 1, options.connections);
    const samples: Record<Route, Sample[]> = { wsEndpoint: [], constant: [], constantLimited: [] };
    for (let run = 0; run < options.runs; run++) {
      // Alternate, so a slow phase of the machine hits every route alike.
      for (const route of routes) samples[route].push(await load(`${base}${PATHS[route]}`, options.durationSeconds, options.connections));
    }
    const summary = (list: Sample[]) => ({
      requestsPerSecond: spread(list.map((s) => s.requestsPerSecond)),
      p99Ms: spread(list.map((s) => s.p99Ms)),
      non2xx: list.reduce((sum, s) => sum + s.non2xx, 0),
    });
    return {
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      runs: options.runs,
      routes: { wsEndpoint: summary(samples.wsEndpoint), constant: summary(samples.constant), constantLimited: summary(samples.constantLimited) },
      ratio: spread(samples.wsEndpoint.map((s, i) => s.requestsPerSecond / samples.constant[i]!.requestsPerSecond)),
      limiterRatio: spread(samples.constantLimited.map((s, i) => s.requestsPerSecond / samples.constant[i]!.requestsPerSecond)),
    };
  } finally {
    server.kill('SIGKILL');
  }
}

export function frontThroughputMarkdown(r: FrontThroughputResult): string {
  const row = (name: string, route: FrontThroughputResult['routes']['wsEndpoint']) =>
    `| ${name} | ${Math.round(route.requestsPerSecond.median)} (${Math.round(route.requestsPerSecond.min)}-${Math.round(route.requestsPerSecond.max)}) | ${route.p99Ms.median} (${route.p99Ms.min}-${route.p99Ms.max}) | ${route.non2xx} |`;
  return [
    `${r.runs} runs of ${r.durationSeconds} s each, ${r.connections} connections, alternating routes; median (min-max).`,
    '',
    '| route | requests/s | p99 ms | non-2xx |',
    '| --- | --- | --- | --- |',
    row('`GET /ws-endpoint` (hash + token)', r.routes.wsEndpoint),
    row('constant JSON, same app', r.routes.constant),
    row('constant JSON behind the same rate limit', r.routes.constantLimited),
    '',
    `Ratio /ws-endpoint : constant = **${r.ratio.median.toFixed(2)}x** (${r.ratio.min.toFixed(2)}-${r.ratio.max.toFixed(2)}); target at least 0.8x.`,
    `The rate limit alone: constant behind it : constant = ${r.limiterRatio.median.toFixed(2)}x (${r.limiterRatio.min.toFixed(2)}-${r.limiterRatio.max.toFixed(2)}).`,
  ].join('\n');
}
