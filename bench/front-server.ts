// Child process for the front benchmark: the real front app (metrics included) with 8 ready workers in its
// membership, plus a constant-JSON route on the same fastify instance as the yardstick.
// Prints its port on stdout and serves until killed.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig, readRawSettings } from '../src/config/load-config.js';
import { buildFrontApp } from '../src/front/build-front-app.js';
import { createRateLimiter } from '../src/front/rate-limit.js';
import { clientKey } from '../src/routing/client-key.js';
import { collectProcessMetrics } from '../src/metrics/process-metrics.js';
import { Membership } from '../src/registry/membership.js';
import { manualMembership } from '../src/registry/membership-source.js';

const now = Date.now();
const membership = new Membership();
membership.replace(
  Array.from({ length: 8 }, (_, index) => ({
    id: `w${index}`, index, port: 3131 + index, pid: 1, state: 'ready' as const, weight: 1, clients: 0, startedAt: now, lastSeenAt: now,
  })),
);
const config = loadConfig(readRawSettings({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' }, []));
function frontRegistry(): Registry {
  const registry = new Registry();
  collectProcessMetrics(registry, { role: 'front' });
  return registry;
}
const app = await buildFrontApp({
  config,
  membership: manualMembership({ membership }),
  secret: 'bench-secret-bench-secret-bench-secret-01',
  logger: pino({ level: 'silent' }),
  // The benchmark measures throughput at saturation: the load guard would shed exactly that.
  loadGuard: { maxEventLoopDelayMs: 60_000, maxEventLoopUtilization: 1 },
  // As the real front: its metrics, with the process metrics beside them.
  metrics: { registry: frontRegistry() },
});
const constant = { workerId: 'w0', url: 'http://127.0.0.1:3131', path: '/socket.io', token: 'x'.repeat(86), expiresAt: now };
app.get('/bench-constant', async (_request, reply) => {
  reply.header('cache-control', 'no-store');
  return constant;
});
// The same constant behind the front's rate limiter (same code, same settings, keyed by the
// client address as /ws-endpoint keys it): how much of the gap the limiter is.
const limiter = createRateLimiter({ max: config.rateLimitPerMinute, windowMs: 60_000, maxKeys: 100_000 });
app.get('/bench-constant-limited', async (request, reply) => {
  reply.header('cache-control', 'no-store');
  if (limiter.hit(clientKey(request.ip, config)?.id ?? request.ip, Date.now()) !== 0) return reply.code(429).send({ code: 'RATE_LIMITED' });
  return constant;
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`);
process.on('SIGTERM', () => process.exit(0));
