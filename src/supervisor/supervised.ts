// The embedded mode seen from a child: its membership is a mirror of the supervisor's, and a
// worker registers by telling the supervisor over IPC (ready, heartbeats, leaving, port free).
import type { MembershipSource } from '../registry/membership-source.js';
import { manualMembership } from '../registry/membership-source.js';
import type { WorkerRegistration } from '../worker/worker-registration.js';
import type { ChildChannel } from './child-channel.js';

/** How often a worker tells the supervisor it is alive (and how many clients it has). */
export const HEARTBEAT_MS = 500;

export interface SupervisedMembershipOptions {
  readonly channel: ChildChannel;
  /** Workers the supervisor starts (w0..w{n-1}): a page's CSP names them before they join. */
  readonly workers: number;
  /** Single-port mode: answers are keyed by the TCP peer, as the primary routes connections. @default false */
  readonly routesByPeer?: boolean;
}

export function supervisedMembership(options: SupervisedMembershipOptions): MembershipSource {
  const source = manualMembership({
    expectedSlots: Array.from({ length: options.workers }, (_, index) => ({ id: `w${index}`, index })),
    ...(options.routesByPeer ? { routesByPeer: true } : {}),
  });
  options.channel.onMessage((message) => {
    if (message.type === 'membership') source.membership.replace(message.workers);
  });
  return source;
}

export function supervisedRegistration(options: { channel: ChildChannel; heartbeatMs?: number }): WorkerRegistration {
  const { channel } = options;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let id = '';
  const stop = () => clearInterval(heartbeat);
  return {
    async join(record) {
      const first = record();
      id = first.id;
      channel.send({ sioroute: 1, type: 'worker-ready', id: first.id, index: first.index, port: first.port, pid: process.pid });
      heartbeat = setInterval(() => channel.send({ sioroute: 1, type: 'heartbeat', id: first.id, clients: record().clients }), options.heartbeatMs ?? HEARTBEAT_MS);
      heartbeat.unref();
    },
    async leaving() {
      // A draining worker sends no heartbeat: it is already out of routing.
      stop();
      channel.send({ sioroute: 1, type: 'worker-leaving', id });
    },
    portReleased() {
      // The supervisor starts the replacement on the freed port.
      channel.send({ sioroute: 1, type: 'worker-draining', id });
    },
    async leave() {
      stop();
    },
  };
}
