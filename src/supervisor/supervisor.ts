// The primary process: forks the front and the workers, keeps the membership they report, tells the
// front about it over IPC, respawns what crashes with backoff, and shuts everything down on demand.
// It opens no port and parses no client bytes, so there is little in it that can crash.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { setupPrimary as setupClusterAdapterPrimary } from '@socket.io/cluster-adapter';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';
import { isChildMessage, type ChildToSupervisor, type SupervisorToChild } from '../registry/ipc-messages.js';
import { Membership } from '../registry/membership.js';
import { nextCrashCount, restartDelayMs } from './restart-backoff.js';
import { CHILD_ENV } from './child-env.js';

export interface SupervisorOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  /** The script children run: the CLI, which dispatches on SIOROUTE_ROLE. */
  readonly exec: string;
  /** A ready worker that sends no heartbeat for this long is taken out of routing. @default 3000 */
  readonly heartbeatTimeoutMs?: number;
  /** ... and killed and replaced after this long. @default 6000 */
  readonly hangKillMs?: number;
  /** Children still running this long after a shutdown request are killed. @default 5000 */
  readonly shutdownTimeoutMs?: number;
}

export interface ClusterInfo {
  frontUrl: string;
  frontPort: number;
  workers: { id: string; port: number; pid: number }[];
}

type Role = 'front' | 'worker';

interface Slot {
  readonly id: string;
  readonly role: Role;
  readonly index: number;
  process?: ClusterWorker;
  forkedAt: number;
  ready: boolean;
  crashCount: number;
  fatalReason?: string;
  respawnTimer?: NodeJS.Timeout;
}

const HEARTBEAT_CHECK_MS = 500;
const SNAPSHOT_EVERY_MS = 1000;

export class Supervisor {
  readonly membership = new Membership();
  #slots = new Map<string, Slot>();
  #byProcess = new Map<number, Slot>();
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #frontPort: number | undefined;
  #timers: NodeJS.Timeout[] = [];
  #startupFailed: ((reason: Error) => void) | undefined;
  #readyWaiters = new Map<string, () => void>();
  readonly #opts: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.#opts = { heartbeatTimeoutMs: 3000, hangKillMs: 6000, shutdownTimeoutMs: 5000, ...options };
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
    this.membership.onChange(() => this.#sendMembership());

    const failed = new Promise<never>((_, reject) => {
      this.#startupFailed = reject;
    });
    try {
      const front = this.#addSlot('front', 'front', 0);
      await Promise.race([this.#waitReady(front), failed]);
      const workers = Array.from({ length: this.#opts.config.workers }, (_, i) => this.#addSlot(`w${i}`, 'worker', i));
      await Promise.race([Promise.all(workers.map((slot) => this.#waitReady(slot))), failed]);
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

  /** Ask every child to close, wait for them (bounded), kill what remains. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
    for (const timer of this.#timers) clearInterval(timer);
    const alive = [...this.#slots.values()].filter((slot) => slot.process && !slot.process.isDead());
    for (const slot of this.#slots.values()) clearTimeout(slot.respawnTimer);
    const exits = alive.map((slot) => new Promise<void>((resolve) => slot.process!.process.once('exit', () => resolve())));
    for (const slot of alive) this.#send(slot, { sioroute: 1, type: 'shutdown' });
    const deadline = setTimeout(() => {
      for (const slot of alive) if (!slot.process!.isDead()) slot.process!.process.kill('SIGKILL');
    }, this.#opts.shutdownTimeoutMs);
    await Promise.all(exits);
    clearTimeout(deadline);
    this.#state = 'stopped';
  }

  #addSlot(id: string, role: Role, index: number): Slot {
    const slot: Slot = { id, role, index, forkedAt: 0, ready: false, crashCount: 0 };
    this.#slots.set(id, slot);
    this.#fork(slot);
    return slot;
  }

  #fork(slot: Slot): void {
    const env: Record<string, string> = {
      [CHILD_ENV.role]: slot.role,
      [CHILD_ENV.index]: String(slot.index),
      // The secret travels on its own (the child deletes it from its environment once read).
      [CHILD_ENV.config]: JSON.stringify({ ...this.#opts.config, routingSecret: undefined }),
      [CHILD_ENV.secret]: this.#opts.secret,
    };
    // A respawned front keeps the port it had, so open pages can still reach it.
    if (this.#frontPort !== undefined) env[CHILD_ENV.frontPort] = String(this.#frontPort);
    slot.ready = false;
    slot.forkedAt = Date.now();
    delete slot.fatalReason;
    const child = cluster.fork(env);
    slot.process = child;
    this.#byProcess.set(child.id, slot);
  }

  #waitReady(slot: Slot): Promise<void> {
    return slot.ready ? Promise.resolve() : new Promise((resolve) => this.#readyWaiters.set(slot.id, resolve));
  }

  #onMessage(worker: ClusterWorker, message: unknown): void {
    if (!isChildMessage(message)) return;
    const slot = this.#byProcess.get(worker.id);
    if (!slot) return;
    this.#handle(slot, message);
  }

  #handle(slot: Slot, message: ChildToSupervisor): void {
    const now = Date.now();
    switch (message.type) {
      case 'front-ready':
        this.#frontPort = message.port;
        this.#markReady(slot);
        this.#opts.logger.info({ port: message.port, pid: message.pid }, 'front ready');
        this.#sendMembership();
        break;
      case 'worker-ready':
        this.membership.upsert({
          id: slot.id, index: slot.index, port: message.port, pid: message.pid, state: 'ready',
          weight: 1, clients: 0, startedAt: now, lastSeenAt: now,
        });
        this.#markReady(slot);
        this.#opts.logger.info({ workerId: slot.id, port: message.port, pid: message.pid }, 'worker ready');
        break;
      case 'heartbeat': {
        const known = this.membership.get(slot.id);
        if (!known) break;
        if (known.state === 'unhealthy') this.#opts.logger.warn({ workerId: slot.id }, 'worker heartbeats again; back in routing');
        this.membership.upsert({ ...known, clients: message.clients, lastSeenAt: now, state: known.state === 'unhealthy' ? 'ready' : known.state });
        break;
      }
      case 'fatal':
        slot.fatalReason = message.reason;
        break;
    }
  }

  #markReady(slot: Slot): void {
    slot.ready = true;
    this.#readyWaiters.get(slot.id)?.();
    this.#readyWaiters.delete(slot.id);
  }

  #onExit(worker: ClusterWorker, code: number | null, signal: string | null): void {
    const slot = this.#byProcess.get(worker.id);
    if (!slot) return;
    this.#byProcess.delete(worker.id);
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
    slot.respawnTimer = setTimeout(() => {
      if (this.#state === 'running') this.#fork(slot);
    }, delay);
  }

  #checkHeartbeats(): void {
    const now = Date.now();
    for (const worker of this.membership.list()) {
      const silentFor = now - worker.lastSeenAt;
      if (worker.state === 'ready' && silentFor > this.#opts.heartbeatTimeoutMs) {
        this.#opts.logger.warn({ workerId: worker.id, silentForMs: silentFor }, 'worker missed heartbeats; out of routing');
        this.membership.upsert({ ...worker, state: 'unhealthy' });
      }
      if (worker.state === 'unhealthy' && silentFor > this.#opts.hangKillMs) {
        const slot = this.#slots.get(worker.id);
        this.#opts.logger.error({ workerId: worker.id, silentForMs: silentFor }, 'worker hangs; killing it');
        slot?.process?.process.kill('SIGKILL');
      }
    }
  }

  #sendMembership(): void {
    const front = this.#slots.get('front');
    if (front?.ready) this.#send(front, { sioroute: 1, type: 'membership', workers: this.membership.list() });
  }

  #send(slot: Slot, message: SupervisorToChild): void {
    const child = slot.process;
    if (!child || child.isDead() || !child.isConnected()) return;
    child.send(message, undefined, () => {
      // A child that died between the check and the send: its exit event handles it.
    });
  }
}
