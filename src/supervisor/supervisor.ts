// The primary process: forks the front and the workers, keeps the membership they report, tells the
// front about it over IPC, respawns what crashes with backoff, and shuts everything down on demand.
// It opens no port and parses no client bytes, so there is little in it that can crash. In
// single-port mode it owns the one public port instead of forking a front: a ConnectionRouter hands
// each connection, unread, to its worker, and every worker serves the front's routes from a
// mirror of the membership.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { setupPrimary as setupClusterAdapterPrimary } from '@socket.io/cluster-adapter';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { isChildMessage, type ChildToSupervisor, type SupervisorToChild } from './ipc-messages.js';
import { Membership } from '../registry/membership.js';
import { PublicPort } from '../single-port/public-port.js';
import { LifecycleMetrics } from './lifecycle-metrics.js';
import { MetricsRelay } from './metrics-relay.js';
import { nextCrashCount, restartDelayMs } from './restart-backoff.js';
import { childEnv } from './child-env.js';
import { Children, metricsSources, sendTo, type Role, type Slot } from './children.js';
import { heartbeatVerdicts } from './heartbeat-watch.js';
import { applyWorkerReport, isWorkerReport } from './worker-reports.js';
import { restartWorkers } from './rolling-restart.js';
import { stopChildren } from './stop-children.js';

export interface SupervisorOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  /** The script children run: the CLI, which dispatches on SIOROUTE_ROLE. */
  readonly exec: string;
  /** A ready worker that sends no heartbeat for this long is taken out of routing. @default 1500 */
  readonly heartbeatTimeoutMs?: number;
  /** ... and killed and replaced after this long. @default 5000 */
  readonly hangKillMs?: number;
  /** A replacement not ready this long after its drain started fails a rolling restart. @default 30_000 */
  readonly replaceTimeoutMs?: number;
  /** Children still running this long after a shutdown request are killed. @default 5000 */
  readonly shutdownTimeoutMs?: number;
}

export interface ClusterInfo {
  frontUrl: string;
  frontPort: number;
  workers: { id: string; port: number; pid: number }[];
}

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
        this.#signalled(slot, message.signal);
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

  /**
   * A child got SIGTERM. Sent to it alone, it is a restart of that child (a worker drains and is
   * replaced, the front closes and is respawned). Sent to the whole group (Ctrl-C, systemd,
   * `timeout`), the supervisor got it too: its stop drains everyone, and nothing is replaced.
   */
  #signalled(slot: Slot, signal: string): void {
    const child = slot.process;
    setTimeout(() => {
      if (this.#state !== 'running' || !child || slot.process !== child) return;
      this.#opts.logger.info({ id: slot.id, signal }, `${slot.id} was signalled alone: restarting it`);
      sendTo(child, { sioroute: 1, type: slot.role === 'worker' ? 'drain' : 'shutdown' });
    }, GROUP_SIGNAL_WINDOW_MS).unref();
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
    for (const { action, worker, silentForMs } of heartbeatVerdicts(this.membership.list(), Date.now(), this.#opts)) {
      if (action === 'unhealthy') {
        this.#opts.logger.warn({ workerId: worker.id, silentForMs }, 'worker missed heartbeats; out of routing');
        this.membership.upsert({ ...worker, state: 'unhealthy' });
      } else {
        this.#opts.logger.error({ workerId: worker.id, silentForMs }, 'worker hangs; killing it');
        this.#children.slots.get(worker.id)?.process?.process.kill('SIGKILL');
      }
    }
  }

  #sendMembership(): void {
    const message: SupervisorToChild = { sioroute: 1, type: 'membership', workers: this.membership.list() };
    if (this.#opts.config.singlePort) {
      // Every worker serves the front's routes from its own mirror.
      for (const slot of this.#children.slots.values()) if (slot.ready) this.#send(slot, message);
      return;
    }
    const front = this.#children.slots.get('front');
    if (front?.ready) this.#send(front, message);
  }

  #send(slot: Slot, message: SupervisorToChild): void {
    if (slot.process) sendTo(slot.process, message);
  }
}
