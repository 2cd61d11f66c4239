// /metrics of the embedded cluster, seen from the front: the front's own metrics plus every
// worker's, which the supervisor collects over IPC, added up with prom-client's aggregation.
// Bounded: one collection at a time (concurrent scrapes share it), each given up after timeoutMs.
import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';

/** One registry's metrics as plain data (what crosses IPC). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export interface ClusterMetricsAnswer {
  readonly requestId: number;
  /** One entry per worker process that answered in time. */
  readonly parts: readonly MetricsJson[];
  /** Worker processes that did not answer in time (a hung or dying process). */
  readonly unanswered: readonly string[];
}

export interface ClusterScrapeOptions {
  /** The front's own registry; it gains `sioroute_scrape_unanswered_workers`. */
  readonly registry: Registry;
  /** Ask the supervisor for the workers' metrics; the answer comes back through onAnswer. */
  readonly request: (requestId: number) => void;
  /** @default 3000 */
  readonly timeoutMs?: number;
}

export interface ClusterScrape {
  /** Prometheus text of the whole cluster; rejects when the supervisor does not answer in time. */
  text(): Promise<string>;
  onAnswer(answer: ClusterMetricsAnswer): void;
}

/** Sum or keep each series as prom-client's cluster mode does, into Prometheus text. */
export async function aggregateMetrics(parts: readonly MetricsJson[]): Promise<string> {
  // prom-client omits start times from an aggregate, because adding them means nothing; here every
  // process has its own labels (role, worker), so its start time can be kept as it is.
  const kept = parts.map((metrics) => metrics.map((metric) => (metric.aggregator === 'omit' ? { ...metric, aggregator: 'first' as const } : metric)));
  return AggregatorRegistry.aggregate(kept).metrics();
}

export function createClusterScrape(options: ClusterScrapeOptions): ClusterScrape {
  const timeoutMs = options.timeoutMs ?? 3000;
  const unanswered = new Gauge({
    name: 'sioroute_scrape_unanswered_workers',
    help: 'Worker processes whose metrics are missing from this scrape (they did not answer the supervisor in time)',
    registers: [options.registry],
  });
  let nextId = 1;
  let inFlight: { id: number; settle: (answer: ClusterMetricsAnswer | Error) => void; promise: Promise<string> } | undefined;

  const collect = (): Promise<string> => {
    const id = nextId++;
    let settle!: (answer: ClusterMetricsAnswer | Error) => void;
    const answered = new Promise<ClusterMetricsAnswer>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`the supervisor did not answer within ${timeoutMs} ms`)), timeoutMs);
      settle = (answer) => {
        clearTimeout(timer);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      };
    });
    try {
      options.request(id);
    } catch (error) {
      settle(error instanceof Error ? error : new Error(String(error)));
    }
    // The first step awaits, so inFlight is set below before the finally can clear it.
    const promise = (async () => {
      try {
        const answer = await answered;
        unanswered.set(answer.unanswered.length);
        return await aggregateMetrics([await options.registry.getMetricsAsJSON(), ...answer.parts]);
      } finally {
        inFlight = undefined;
      }
    })();
    inFlight = { id, settle, promise };
    return promise;
  };

  return {
    text: () => inFlight?.promise ?? collect(),
    onAnswer(answer) {
      if (inFlight?.id === answer.requestId) inFlight.settle(answer);
    },
  };
}
