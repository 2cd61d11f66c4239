// What a worker keeps so that a client whose connection blipped can take up its session again
// (socket.io's connection state recovery): the sessions of clients that went away, and the
// broadcasts delivered here since, each with an offset. Both are dropped once older than the
// longest disconnection allowed, and the packets are bounded in number too. Pure: the clock is an
// input.
import { randomBytes } from 'node:crypto';

export interface StoredSession {
  readonly sid: string;
  readonly pid: string;
  readonly rooms: string[];
  readonly data: unknown;
}

interface LoggedPacket {
  readonly id: string;
  readonly rooms: ReadonlySet<string>;
  readonly except: ReadonlySet<string>;
  readonly data: unknown[];
  readonly at: number;
}

export interface SessionLogOptions {
  /** How long a session may be taken up again after its connection went. */
  readonly maxDisconnectionMs: number;
  /** Broadcasts kept at most; a client that missed more than these starts a new session. @default 10_000 */
  readonly maxPackets?: number;
}

export class SessionLog {
  readonly #sessions = new Map<string, StoredSession & { readonly goneAt: number }>();
  #packets: LoggedPacket[] = [];
  readonly #options: Required<SessionLogOptions>;
  #counter = 0;
  readonly #prefix = randomBytes(4).toString('hex');

  constructor(options: SessionLogOptions) {
    this.#options = { maxPackets: 10_000, ...options };
  }

  /** A fresh offset: unique to this process, so a client cannot present another worker's. */
  nextOffset(): string {
    this.#counter += 1;
    return `${this.#prefix}-${this.#counter.toString(36)}`;
  }

  /** A broadcast delivered here: the offset is the last element of `data`. */
  record(id: string, rooms: Iterable<string>, except: Iterable<string>, data: unknown[], now: number): void {
    this.#packets.push({ id, rooms: new Set(rooms), except: new Set(except), data, at: now });
    if (this.#packets.length > this.#options.maxPackets) this.#packets.splice(0, this.#packets.length - this.#options.maxPackets);
  }

  persist(session: StoredSession, now: number): void {
    this.#sessions.set(session.pid, { ...session, goneAt: now });
  }

  /** The session with the packets sent to its rooms after `offset`, or null when it cannot be taken up. */
  restore(pid: string, offset: string, now: number): (StoredSession & { missedPackets: unknown[][] }) | null {
    const session = this.#sessions.get(pid);
    if (!session) return null;
    this.#sessions.delete(pid);
    if (session.goneAt + this.#options.maxDisconnectionMs < now) return null;
    const index = this.#packets.findIndex((p) => p.id === offset);
    if (index === -1) return null;
    const missedPackets: unknown[][] = [];
    for (const packet of this.#packets.slice(index + 1)) {
      const included = packet.rooms.size === 0 || session.rooms.some((room) => packet.rooms.has(room));
      const excluded = session.rooms.some((room) => packet.except.has(room));
      if (included && !excluded) missedPackets.push(packet.data);
    }
    return { sid: session.sid, pid: session.pid, rooms: session.rooms, data: session.data, missedPackets };
  }

  /** Drop what is too old to be asked for. */
  expire(now: number): void {
    const threshold = now - this.#options.maxDisconnectionMs;
    for (const [pid, session] of this.#sessions) if (session.goneAt < threshold) this.#sessions.delete(pid);
    const firstKept = this.#packets.findIndex((p) => p.at >= threshold);
    this.#packets = firstKept === -1 ? [] : this.#packets.slice(firstKept);
  }

  get size(): { sessions: number; packets: number } {
    return { sessions: this.#sessions.size, packets: this.#packets.length };
  }
}
