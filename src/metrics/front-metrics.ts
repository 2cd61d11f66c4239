// The front's own metrics, defined on a registry the caller owns: routing answers per worker, the
// latency of GET /ws-endpoint, membership changes and workers by state. GET /ws-endpoint is a
// benchmarked path: a request only records (an increment, a store into a typed array) and
// prom-client takes the records in batches, at scrape time or when the buffer is full. Calling
// prom-client on every request measured about 4 µs of CPU per request (its calls allocate).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WORKER_STATES, type Membership } from '../registry/membership.js';
import { MEMBERSHIP_CHANGES, membershipChanges } from './membership-changes.js';
import { buildInfo } from './build-info.js';

/** Upper bounds in seconds: an answer takes well under a millisecond unless the front is loaded. */
export const WS_ENDPOINT_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Durations held before they are handed to the histogram. */
const DURATION_BATCH = 1024;

export interface FrontMetrics {
  /** A routing answer (page or /ws-endpoint) named this worker. */
  routingAnswer(workerId: string): void;
  /** GET /ws-endpoint was answered in this many seconds (any status). */
  wsEndpointAnswered(seconds: number): void;
  /** Routing answers so far, by worker id. */
  answersByWorker(): Promise<Map<string, number>>;
  /** A request to the page or /ws-endpoint was turned away with this code. */
  refused(code: RefusalCode): void;
}

/** The outcomes an operator watches: too many requests, an overloaded front, nobody to route to. */
export const REFUSAL_CODES = ['RATE_LIMITED', 'OVERLOADED', 'NO_HEALTHY_WORKER', 'BAD_REQUEST', 'BAD_CLIENT_ADDRESS'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export function createFrontMetrics(registry: Registry, membership: Membership): FrontMetrics {
  const registers = [registry];
  /** Answers not yet added to the counter, by worker id; a holder per worker, so counting allocates nothing. */
  const pendingAnswers = new Map<string, { count: number; child: Counter.Internal }>();
  const answers = new Counter({
    name: 'sioroute_routing_answers_total',
    help: 'Routing answers (the page or GET /ws-endpoint) naming each worker',
    labelNames: ['worker'],
    registers,
    collect() {
      for (const pending of pendingAnswers.values()) {
        if (pending.count === 0) continue;
        pending.child.inc(pending.count);
        pending.count = 0;
      }
    },
  });
  const pendingDurations = new Float64Array(DURATION_BATCH);
  let pendingDurationCount = 0;
  const flushDurations = () => {
    for (let i = 0; i < pendingDurationCount; i++) duration.observe(pendingDurations[i]!);
    pendingDurationCount = 0;
  };
  const duration = new Histogram({
    name: 'sioroute_ws_endpoint_duration_seconds',
    help: 'Time to answer GET /ws-endpoint, from routing to the last byte written',
    buckets: WS_ENDPOINT_BUCKETS,
    registers,
    collect: flushDurations,
  });
  const changes = new Counter({
    name: 'sioroute_membership_changes_total',
    help: 'Membership changes seen by the front: a worker process joined or left, or a worker changed state',
    labelNames: ['change'],
    registers,
  });
  for (const change of MEMBERSHIP_CHANGES) changes.inc({ change }, 0);
  const refusals = new Counter({
    name: 'sioroute_front_refusals_total',
    help: 'Requests the front turned away, by code (RATE_LIMITED 429, OVERLOADED 503, NO_HEALTHY_WORKER 503, ...)',
    labelNames: ['code'],
    registers,
  });
  for (const code of REFUSAL_CODES) refusals.inc({ code }, 0);
  buildInfo(registry);
  new Gauge({
    name: 'sioroute_workers',
    help: 'Workers known to the front, by state',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = new Map<string, number>(WORKER_STATES.map((state) => [state, 0]));
      for (const worker of membership.list()) counts.set(worker.state, (counts.get(worker.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });

  // Workers already known when the front starts joined as far as it can tell.
  let previous = membership.list();
  if (previous.length > 0) changes.inc({ change: 'joined' }, previous.length);
  membership.onChange(() => {
    const current = membership.list();
    const counted = membershipChanges(previous, current);
    previous = current;
    for (const change of MEMBERSHIP_CHANGES) if (counted[change] > 0) changes.inc({ change }, counted[change]);
  });

  return {
    routingAnswer(workerId) {
      let pending = pendingAnswers.get(workerId);
      if (pending === undefined) {
        // labels() validates and builds the label set: once per worker, not per request.
        pending = { count: 0, child: answers.labels(workerId) };
        pendingAnswers.set(workerId, pending);
      }
      pending.count += 1;
    },
    wsEndpointAnswered(seconds) {
      if (pendingDurationCount === DURATION_BATCH) flushDurations();
      pendingDurations[pendingDurationCount++] = seconds;
    },
    refused(code) {
      refusals.inc({ code });
    },
    async answersByWorker() {
      const { values } = await answers.get();
      return new Map(values.map((v) => [String(v.labels.worker), v.value]));
    },
  };
}
