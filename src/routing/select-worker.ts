// Worker selection: weighted rendezvous hashing over buckets of the key space. Pure: no I/O.
//
// A key falls in one of BUCKETS buckets (the top bits of its 64-bit hash); every worker draws a
// number per bucket and the lowest draw wins (bucket-draw.ts). Each bucket is one rendezvous
// decision, so when a worker leaves only its buckets move, and a joiner takes buckets only from
// others, never moving a bucket between two workers that stayed. With weights, a draw is the
// arrival time of an exponential clock of rate weight, so a worker's share is its weight's share.
//
// Up to DIRECT_MAX workers, select() scores every worker at the key's bucket. Above, the table
// remembers each bucket's winner once scored (n draws, then one array read), and once the scoring
// has cost about as much as a whole build, it builds the rest at once (bucket-table.ts): a table
// asked little costs little, a busy one answers with one read. Every path gives the same answer.
import type { ClientKey } from './client-key.js';
import { bucketOfHash } from './bucket-draw.js';
import { buildCost, buildOwners, carryOwners, emptyOf, emptyOwners, membersOf, winnerAt, type Members, type OwnerArray } from './bucket-table.js';

export interface RoutableWorker {
  readonly id: string;
  /** Relative share of keys; a positive finite number. @default 1 */
  readonly weight?: number;
}

export interface RoutingTable {
  /** Worker ids in the table, in the order given. */
  readonly ids: readonly string[];
  /**
   * The worker for this key, or undefined when the table is empty. `avoid` names workers to skip
   * for this one answer (a client's hint that it just failed there, e.g. on both workers of a
   * host that went down); when it would skip every worker, it is ignored.
   */
  select(key: ClientKey, avoid?: string | readonly string[]): string | undefined;
}

/** Up to this many workers, select() scores each at the key's bucket: as cheap as reading the table. */
const DIRECT_MAX = 4;
/** Answers scored before a table starts remembering each bucket's winner. */
const REMEMBER_AFTER = 64;
/** updateRoutingTable carries the previous table's buckets over when at most this many joined. */
const MAX_CARRIED_JOINERS = 8;

class BucketRoutingTable implements RoutingTable {
  readonly ids: readonly string[];
  readonly members: Members;
  readonly #indexOf: Map<string, number>;
  /** Each bucket's winner once known; allocated after REMEMBER_AFTER answers, above DIRECT_MAX workers. */
  #owner: OwnerArray | undefined;
  #empty = 0;
  /** Draws spent scoring buckets one at a time; past buildCost the rest is built at once. */
  #spent = 0;

  constructor(members: Members, owner?: OwnerArray) {
    this.ids = members.ids;
    this.members = members;
    this.#indexOf = new Map(members.ids.map((id, w) => [id, w]));
    this.#owner = owner;
    if (owner !== undefined) this.#empty = emptyOf(owner);
  }

  /** The owner array as far as it is known, for updateRoutingTable. */
  get owners(): OwnerArray | undefined {
    return this.#owner;
  }

  select(key: ClientKey, avoid?: string | readonly string[]): string | undefined {
    const ids = this.ids;
    if (ids.length <= 1) return ids[0];
    const bucket = bucketOfHash(key.hash.hi);
    const first = ids.length <= DIRECT_MAX ? -1 : this.#ownerOf(bucket);
    if (avoid === undefined) return ids[first === -1 ? winnerAt(this.members, bucket) : first];
    if (first !== -1 && !(typeof avoid === 'string' ? avoid === ids[first] : avoid.includes(ids[first]!))) return ids[first];
    // The winner among the others is the bucket's winner in the table without them: score them all.
    return ids[winnerAt(this.members, bucket, this.#skipsOf(avoid))];
  }

  /** Build every bucket's winner now (no-op up to DIRECT_MAX workers). */
  complete(): void {
    if (this.ids.length <= DIRECT_MAX) return;
    this.#owner = buildOwners(this.members);
    this.#empty = emptyOf(this.#owner);
  }

  #ownerOf(bucket: number): number {
    const owner = this.#owner;
    if (owner !== undefined) {
      const known = owner[bucket]!;
      if (known !== this.#empty) return known;
    }
    const n = this.ids.length;
    this.#spent += n;
    if (this.#spent > buildCost(n)) {
      this.complete();
      return this.#owner![bucket]!;
    }
    const winner = winnerAt(this.members, bucket);
    if (owner !== undefined) owner[bucket] = winner;
    // A table asked only a few times (a one-off pick) never pays for the array.
    else if (this.#spent > n * REMEMBER_AFTER) {
      this.#owner = emptyOwners(n);
      this.#empty = emptyOf(this.#owner);
    }
    return winner;
  }

  /** Flags of the avoided workers; undefined when nothing known is avoided or everyone is. */
  #skipsOf(avoid: string | readonly string[]): Uint8Array | undefined {
    let skip: Uint8Array | undefined;
    let count = 0;
    for (const id of typeof avoid === 'string' ? [avoid] : avoid) {
      const w = this.#indexOf.get(id);
      if (w === undefined) continue;
      skip ??= new Uint8Array(this.ids.length);
      if (skip[w] === 0) count++;
      skip[w] = 1;
    }
    // Avoiding everyone means avoiding no one: some answer beats none.
    return count >= this.ids.length ? undefined : skip;
  }
}

function membersFrom(workers: readonly RoutableWorker[]): Members {
  const seen = new Set<string>();
  const weights = workers.map((worker) => {
    const weight = worker.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`worker ${worker.id}: weight must be a positive finite number, got ${weight}`);
    if (seen.has(worker.id)) throw new RangeError(`worker ${worker.id} is listed twice`);
    seen.add(worker.id);
    return weight;
  });
  return membersOf(workers.map((w) => w.id), weights);
}

export function createRoutingTable(workers: readonly RoutableWorker[]): RoutingTable {
  return new BucketRoutingTable(membersFrom(workers));
}

/**
 * The table for `workers`, answering as createRoutingTable(workers) does, that keeps what
 * `previous` already knows: a bucket keeps its winner unless a joiner beats it there, and only the
 * buckets of leavers are scored again. For a membership that rebuilds on every change.
 */
export function updateRoutingTable(previous: RoutingTable, workers: readonly RoutableWorker[]): RoutingTable {
  const members = membersFrom(workers);
  const before = previous instanceof BucketRoutingTable ? previous.owners : undefined;
  if (before === undefined || members.ids.length <= DIRECT_MAX) return new BucketRoutingTable(members);
  return new BucketRoutingTable(members, carryOwners((previous as BucketRoutingTable).members, before, members, MAX_CARRIED_JOINERS));
}

/** Build every bucket's winner now rather than as keys come (benchmarks; a table that will be busy). */
export function completeRoutingTable(table: RoutingTable): void {
  if (table instanceof BucketRoutingTable) table.complete();
}
