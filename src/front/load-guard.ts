// The front's load guard: when its event loop falls behind (a reconnect storm, a CPU hog beside
// it), answer 503 OVERLOADED with Retry-After at once instead of queueing requests until clients
// time out. Clients honour Retry-After with jitter, which spreads the storm out.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

export interface LoadGuardOptions {
  /**
   * Event loop delay above which requests are turned away. A client waits 10 s for its answer, so
   * a front 1 s behind still answers in time. @default 1000
   */
  readonly maxEventLoopDelayMs?: number;
  /**
   * Event loop utilization (0 to 1) above which requests are turned away; 0 turns this check off.
   * Off by default: a front answering a reconnect storm at full speed is busy, not behind, and
   * turning requests away then wastes the work it could do (measured by bench/capacity.ts's
   * failover: 3,447 requests turned away and a p99 of 14.8 s with 0.98, none and 10.1 s without).
   * @default 0
   */
  readonly maxEventLoopUtilization?: number;
  /** How often the measures are sampled. @default 250 */
  readonly sampleIntervalMs?: number;
  /** Seconds the client is asked to wait. @default 2 */
  readonly retryAfterSeconds?: number;
  /** Told of every request turned away. */
  readonly onOverloaded?: () => void;
}

/**
 * Never turns a request away. For tests about other things: on a shared machine a stalled test
 * process would otherwise get 503 OVERLOADED where the test expects its answer.
 */
export const LOAD_GUARD_OFF: LoadGuardOptions = { maxEventLoopDelayMs: 60_000, maxEventLoopUtilization: 1 };

/**
 * Route options for routes the guard never turns away: /metrics and /healthz. An overloaded front
 * is exactly when its metrics matter, and a load balancer that saw every front's health check fail
 * during a storm would take them all out of service. Both are cheap and answer from memory.
 */
export const UNGUARDED = { config: { pressureHandler: () => undefined } };

export async function registerLoadGuard(app: FastifyInstance, options: LoadGuardOptions = {}): Promise<void> {
  const retryAfter = options.retryAfterSeconds ?? 2;
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs ?? 1000,
    maxEventLoopUtilization: options.maxEventLoopUtilization ?? 0,
    sampleInterval: options.sampleIntervalMs ?? 250,
    eventLoopUtilizationMode: 'interval',
    pressureHandler: (request, reply, type, value) => {
      request.log.warn({ type, value }, 'front under pressure; turning a request away');
      options.onOverloaded?.();
      void reply.code(503).header('retry-after', String(retryAfter)).header('cache-control', 'no-store').send(errorBody('OVERLOADED'));
    },
  });
}
