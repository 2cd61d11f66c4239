// The primary process: forks the front and the workers, keeps the membership they report and tells
// the front, respawns what crashes, restarts and stops on demand. It opens no port (single-port
// mode: the public port, whose connections it hands over unread) and parses no client bytes.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { setupPrimary as setupClusterAdapterPrimary } from '@socket.io/cluster-adapter';
import type { ClusterInfo, SupervisorOptions } from './supervisor-options.js';
import { isChildMessage, type ChildToSupervisor } from './ipc-messages.js';
import { Membership } from '../registry/membership.js';
import { PublicPort } from '../single-port/public-port.js';
import { LifecycleMetrics } from './lifecycle-metrics.js';
import { MetricsRelay } from './metrics-relay.js';
import { nextCrashCount, restartDelayMs } from './restart-backoff.js';
import { childEnv } from './child-env.js';
import { Children, metricsSources, restartIfAlone, sendTo, type Role, type Slot } from './children.js';
import { enforceHeartbeats } from './heartbeat-watch.js';
import { applyWorkerReport, isWorkerReport } from './worker-reports.js';
import { restartWorkers } from './rolling-restart.js';
import { stopChildren } from './stop-children.js';

export type { ClusterInfo, SupervisorOptions } from './supervisor-options.js';

const HEARTBEAT_CHECK_MS = 250;
// A drained process still running this long after its drain should have ended is killed.
const DRAIN_GRACE_MS = 10_000;
const SNAPSHOT_EVERY_MS = 1000;
/** A child that got a stop signal waits this long for the supervisor's own: a signal sent to the whole group reaches both. */
const GROUP_SIGNAL_WINDOW_MS = 150;

export class Supervisor {
  readonly membership = new Membership();
  readonly #children = new Children();
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #frontPort: number | undefined;
  #timers: NodeJS.Timeout[] = [];
  #startupFailed: ((reason: Error) => void) | undefined;
  #restarting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  /** Single-port mode: the public port and the hand-over of its connections. */
  #publicPort: PublicPort | undefined;
  readonly #metricsRelay = new MetricsRelay();
  readonly #lifecycle = new LifecycleMetrics();
  readonly #opts: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.#opts = { heartbeatTimeoutMs: 1500, hangKillMs: 5000, shutdownTimeoutMs: 5000, replaceTimeoutMs: 30_000, ...options };
  }

  get state() {
    return this.#state;
  }

  /** Start the front, then the workers; resolves once all are ready, rejects with the reason when a start cannot succeed. */
  async start(): Promise<ClusterInfo> {
    if (this.#state !== 'new') throw new Error(`supervisor cannot start: it is ${this.#state}`);
    this.#state = 'starting';
    cluster.setupPrimary({ exec: this.#opts.exec, args: [], serialization: 'advanced' });
    setupClusterAdapterPrimary();
    cluster.on('message', (worker, message: unknown) => this.#onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    // A worker whose IPC channel closed can take no connection, even before it exits.
    cluster.on('disconnect', (worker) => this.#publicPort?.gone(worker));
    this.membership.onChange(() => this.#sendMembership());

    const failed = new Promise<never>((_, reject) => {
      this.#startupFailed = reject;
    });
    try {
      if (this.#opts.config.singlePort) {
        this.#publicPort = new PublicPort({ config: this.#opts.config, membership: this.membership, logger: this.#opts.logger, processOf: (id) => this.#children.handoffProcess(id) });
        this.#frontPort = await this.#publicPort.listen();
      } else {
        const front = this.#addSlot('front', 'front', 0);
        await Promise.race([this.#children.whenReady(front), failed]);
      }
      const workers = Array.from({ length: this.#opts.config.workers }, (_, i) => this.#addSlot(`w${i}`, 'worker', i));
      await Promise.race([Promise.all(workers.map((slot) => this.#children.whenReady(slot))), failed]);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#startupFailed = undefined;
    this.#state = 'running';
    this.#timers.push(setInterval(() => this.#checkHeartbeats(), HEARTBEAT_CHECK_MS));
    this.#timers.push(setInterval(() => this.#sendMembership(), SNAPSHOT_EVERY_MS));
    const host = this.#opts.config.host;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return {
      frontPort: this.#frontPort!,
      frontUrl: `http://${shownHost}:${this.#frontPort}`,
      workers: this.membership.list().map((w) => ({ id: w.id, port: w.port, pid: w.pid })),
    };
  }

  /**
   * Stop. With `drain` (a SIGTERM or SIGINT): nothing new is spawned, the front answers
   * /ws-endpoint with 503 and Retry-After (every worker leaves routing), every worker moves its
   * clients spread over DRAIN_SECONDS and exits, then the front; all within DRAIN_SECONDS + 5 s.
   * Without: every child is asked to close at once, and killed after shutdownTimeoutMs.
   */
  stop(options: { drain?: boolean } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? false).finally(() => {
      this.#state = 'stopped';
    });
    return this.#stopping;
  }

  /** A second signal: every child is killed now. */
  killAll(): void {
    for (const child of this.#children.alive()) child.process.kill('SIGKILL');
  }

  async #stop(drain: boolean): Promise<void> {
    this.#state = 'stopping';
    for (const timer of this.#timers) clearInterval(timer);
    this.#metricsRelay.stop();
    for (const slot of this.#children.slots.values()) clearTimeout(slot.respawnTimer);
    await stopChildren(this.#children, this.membership, {
      drain,
      drainMs: this.#opts.config.drainSeconds * 1000,
      shutdownTimeoutMs: this.#opts.shutdownTimeoutMs,
      logger: this.#opts.logger,
      closePublicPort: () => this.#publicPort?.close(),
    });
  }

  #addSlot(id: string, role: Role, index: number): Slot {
    const slot = this.#children.add(id, role, index);
    this.#lifecycle.known(id);
    this.#fork(slot);
    return slot;
  }

  #fork(slot: Slot): void {
    this.#children.fork(slot, childEnv(slot, this.#opts.config, this.#opts.secret, this.#frontPort));
  }

  /** Rolling restart of every worker, one at a time (see rolling-restart.ts). */
  rollingRestart(): Promise<void> {
    this.#restarting ??= restartWorkers({
      slots: () => [...this.#children.slots.values()].filter((s) => s.role === 'worker'),
      running: () => this.#state === 'running',
      nextReady: (slot) => this.#children.nextReady(slot.id),
      drain: (child) => sendTo(child, { sioroute: 1, type: 'drain' }),
      replaceTimeoutMs: this.#opts.replaceTimeoutMs,
      logger: this.#opts.logger,
    }).finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
  }

  #onMessage(worker: ClusterWorker, message: unknown): void {
    if (!isChildMessage(message)) return;
    // Metrics come from every live worker process, draining ones included (they still have clients).
    if (message.type === 'metrics-part') {
      this.#metricsRelay.onPart(worker.id, message.collectId, message.metrics);
      return;
    }
    const slot = this.#children.slotOf(worker);
    // A drained process still finishing speaks for no slot any more.
    if (!slot || slot.process !== worker) return;
    this.#handle(slot, message);
  }

  #handle(slot: Slot, message: ChildToSupervisor): void {
    if (isWorkerReport(message)) {
      applyWorkerReport(this.membership, slot, message, { now: Date.now(), weight: this.#opts.config.workerWeight, logger: this.#opts.logger });
      if (message.type !== 'worker-ready') return;
      this.#children.markReady(slot);
      // Its front mirror starts empty (the upsert above was sent before it counted as ready).
      if (this.#opts.config.singlePort) this.#sendMembership();
      return;
    }
    switch (message.type) {
      case 'front-ready':
        this.#frontPort = message.port;
        this.#children.markReady(slot);
        this.#opts.logger.info({ port: message.port, pid: message.pid }, 'front ready');
        this.#sendMembership();
        break;
      case 'worker-draining':
        this.#replace(slot);
        break;
      case 'fatal':
        slot.fatalReason = message.reason;
        break;
      case 'signalled':
        restartIfAlone(slot, message.signal, { running: () => this.#state === 'running', windowMs: GROUP_SIGNAL_WINDOW_MS, logger: this.#opts.logger });
        break;
      case 'metrics-request': {
        const front = slot.process;
        // The front asks; in single-port mode the workers serve the front's routes and ask instead.
        if (!front || (slot.role !== 'front' && !this.#opts.config.singlePort)) break;
        const { requestId } = message;
        this.#metricsRelay.collect(metricsSources(this.#children), (parts, unanswered) => {
          void this.#lifecycle.json().then((own) => sendTo(front, { sioroute: 1, type: 'metrics-answer', requestId, parts: [...parts, own], unanswered }));
        });
        break;
      }
    }
  }

  /** The slot's process is draining and has freed its port: out of routing, replacement started. */
  #replace(slot: Slot): void {
    const old = slot.process;
    if (!old || this.#state !== 'running') return;
    const known = this.membership.get(slot.id);
    if (known) this.membership.upsert({ ...known, state: 'draining' });
    this.#children.retire(old, this.#opts.config.drainSeconds * 1000 + DRAIN_GRACE_MS);
    this.#opts.logger.info({ workerId: slot.id, pid: old.process.pid }, 'worker draining; starting its replacement');
    this.#lifecycle.drained(slot.id);
    this.#fork(slot);
  }

  #onExit(worker: ClusterWorker, code: number | null, signal: string | null): void {
    this.#publicPort?.gone(worker);
    const slot = this.#children.slotOf(worker);
    if (!slot) return;
    this.#children.exited(worker);
    if (slot.process !== worker) return;
    // Out of routing at once: the front never hands out a process that is gone.
    if (slot.role === 'worker') this.membership.remove(slot.id);
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.#state === 'starting') {
      this.#startupFailed?.(new Error(slot.fatalReason ?? `${slot.id} exited with ${how} before it was ready`));
      return;
    }
    slot.crashCount = nextCrashCount(slot.crashCount, Date.now() - slot.forkedAt);
    const delay = restartDelayMs(slot.crashCount);
    this.#opts.logger.warn({ id: slot.id, exit: how, reason: slot.fatalReason, respawnInMs: delay }, 'process exited; respawning');
    this.#lifecycle.crashed(slot.id);
    slot.respawnTimer = setTimeout(() => {
      if (this.#state !== 'running') return;
      this.#lifecycle.respawned(slot.id);
      this.#fork(slot);
    }, delay);
  }

  #checkHeartbeats(): void {
    enforceHeartbeats(this.membership, Date.now(), this.#opts, this.#opts.logger, (id) => this.#children.slots.get(id)?.process?.process.kill('SIGKILL'));
  }

  #sendMembership(): void {
    this.#children.sendMembership(this.membership.list(), this.#opts.config.singlePort);
  }
}
