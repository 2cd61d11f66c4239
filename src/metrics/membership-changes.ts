// What changed between two membership snapshots, for counting. Pure. A slot whose process was
// replaced (same id, new pid) counts as one that left and one that joined.
import type { WorkerInfo } from '../registry/membership.js';

export const MEMBERSHIP_CHANGES = ['joined', 'left', 'state'] as const;
export type MembershipChange = (typeof MEMBERSHIP_CHANGES)[number];

type Member = Pick<WorkerInfo, 'id' | 'pid' | 'state'>;

export function membershipChanges(before: readonly Member[], after: readonly Member[]): Record<MembershipChange, number> {
  const counts: Record<MembershipChange, number> = { joined: 0, left: 0, state: 0 };
  const previous = new Map(before.map((w) => [w.id, w]));
  for (const worker of after) {
    const was = previous.get(worker.id);
    previous.delete(worker.id);
    if (!was) counts.joined += 1;
    else if (was.pid !== worker.pid) {
      counts.left += 1;
      counts.joined += 1;
    } else if (was.state !== worker.state) counts.state += 1;
  }
  counts.left += previous.size;
  return counts;
}
