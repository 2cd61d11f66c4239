// Static membership (WORKER_URLS, no Redis): the front asks each worker's /healthz every
// PROBE_EVERY_MS. A worker that answers with a valid record is in; one that refuses, times out or
// answers anything else is out until it answers again. A draining worker has closed its listener,
// so it drops out on the next probe.
import type { Logger } from 'pino';
import type { Membership, WorkerInfo } from './membership.js';
import { checkWorkerRecord, workerInfoFromRecord } from './worker-record.js';

export const PROBE_EVERY_MS = 1000;
export const PROBE_TIMEOUT_MS = 800;

export interface ProbeOptions {
  readonly urls: readonly string[];
  readonly membership: Membership;
  readonly logger: Logger;
  /** @default PROBE_EVERY_MS */
  readonly everyMs?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export interface WorkerProbes {
  /** Resolves after the first round of probes. */
  readonly firstRound: Promise<void>;
  close(): void;
}

async function probe(url: string, now: number): Promise<WorkerInfo | undefined> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'error' });
    if (response.status !== 200) return undefined;
    const text = await response.text();
    if (text.length > 4096) return undefined;
    const record = checkWorkerRecord((JSON.parse(text) as { worker?: unknown }).worker);
    return record ? workerInfoFromRecord(record, now) : undefined;
  } catch {
    return undefined;
  }
}

export function probeWorkers(options: ProbeOptions): WorkerProbes {
  const now = options.now ?? Date.now;
  const down = new Set<string>();
  let closed = false;
  const round = async (): Promise<void> => {
    const at = now();
    const answers = await Promise.all(options.urls.map((url) => probe(url, at)));
    if (closed) return;
    const workers: WorkerInfo[] = [];
    answers.forEach((worker, i) => {
      const url = options.urls[i]!;
      if (worker) {
        if (down.delete(url)) options.logger.info({ url, workerId: worker.id }, 'worker answers again; in routing');
        workers.push(worker);
      } else if (!down.has(url)) {
        down.add(url);
        options.logger.warn({ url }, 'worker does not answer /healthz; out of routing');
      }
    });
    // Two URLs claiming one id would route to whichever answered last: keep the first, say so.
    const unique = new Map<string, WorkerInfo>();
    for (const worker of workers) {
      if (unique.has(worker.id)) options.logger.error({ workerId: worker.id }, 'two WORKER_URLS answer with the same worker id; give each worker its own WORKER_ID');
      else unique.set(worker.id, worker);
    }
    options.membership.replace([...unique.values()]);
  };
  let running = false;
  const runRound = async (): Promise<void> => {
    running = true;
    await round().finally(() => (running = false));
  };
  const timer = setInterval(() => {
    if (!running) void runRound();
  }, options.everyMs ?? PROBE_EVERY_MS);
  timer.unref();
  return {
    firstRound: runRound(),
    close: () => {
      closed = true;
      clearInterval(timer);
    },
  };
}
