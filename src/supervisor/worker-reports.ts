// What a worker's reports over IPC do to the membership: ready (it joins routing), a heartbeat
// (alive, with its client count; an unhealthy worker is back), leaving (a drain started: out of
// routing). Pure apart from the membership it is given.
import type { Logger } from 'pino';
import type { Membership } from '../registry/membership.js';
import type { ChildToSupervisor } from './ipc-messages.js';

export type WorkerReport = Extract<ChildToSupervisor, { type: 'worker-ready' | 'heartbeat' | 'worker-leaving' }>;

export function isWorkerReport(message: ChildToSupervisor): message is WorkerReport {
  return message.type === 'worker-ready' || message.type === 'heartbeat' || message.type === 'worker-leaving';
}

export function applyWorkerReport(membership: Membership, slot: { id: string; index: number }, report: WorkerReport, context: { now: number; weight: number; logger: Logger }): void {
  const known = membership.get(slot.id);
  switch (report.type) {
    case 'worker-ready':
      membership.upsert({
        id: slot.id, index: slot.index, port: report.port, pid: report.pid, state: 'ready',
        weight: context.weight, clients: 0, startedAt: context.now, lastSeenAt: context.now,
      });
      context.logger.info({ workerId: slot.id, port: report.port, pid: report.pid }, 'worker ready');
      break;
    case 'heartbeat':
      if (!known) break;
      if (known.state === 'unhealthy') context.logger.warn({ workerId: slot.id }, 'worker heartbeats again; back in routing');
      membership.upsert({ ...known, clients: report.clients, lastSeenAt: context.now, state: known.state === 'unhealthy' ? 'ready' : known.state });
      break;
    case 'worker-leaving':
      if (known) membership.upsert({ ...known, state: 'draining' });
      break;
  }
}
