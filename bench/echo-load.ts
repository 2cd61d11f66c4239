// Clients that keep echoing for the whole of a benchmark: each sends an acknowledged `echo` every
// period (or as soon as the last returns, if later), and every round trip is kept with its time, so
// any window of the run can be summarised afterwards. They run in the benchmark's own process.
import { setTimeout as sleep } from 'node:timers/promises';
import { clientAddress, connectClient, type DemoSocket } from '../src/testing/clients.js';
import { percentile } from './stats.js';

export interface EchoWindow { echoes: number; lost: number; p50Ms: number; p99Ms: number }

const ECHO_TIMEOUT_MS = 5_000;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** A busy front may answer 503 OVERLOADED: wait and try again, as a real client would. */
async function connectWithRetries(frontUrl: string, localAddress: string): Promise<DemoSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await connectClient(frontUrl, localAddress, { transports: ['websocket'] })).socket;
    } catch (error) {
      if (attempt >= 10) throw error;
      await sleep(500 + Math.random() * 1500);
    }
  }
}

export class EchoLoad {
  readonly #sockets: DemoSocket[] = [];
  /** [sent at (performance.now()), round trip ms or -1 when lost]. */
  readonly #samples: [number, number][] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  /** `count` clients through the front, from addresses `firstAddress`, `firstAddress + 1`, ... */
  async start(frontUrl: string, count: number, firstAddress: number, periodMs: number): Promise<void> {
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => connectWithRetries(frontUrl, clientAddress(firstAddress + i + k))));
      this.#sockets.push(...batch);
    }
    this.#running = true;
    this.#loops = this.#sockets.map((socket, i) => this.#loop(socket, i, periodMs));
  }

  async #loop(socket: DemoSocket, i: number, periodMs: number): Promise<void> {
    await sleep(Math.random() * periodMs); // spread the clients' phases
    while (this.#running) {
      const sent = performance.now();
      try {
        await socket.timeout(ECHO_TIMEOUT_MS).emitWithAck('echo', i);
        this.#samples.push([sent, performance.now() - sent]);
      } catch {
        this.#samples.push([sent, -1]);
      }
      await sleep(Math.max(0, sent + periodMs - performance.now()));
    }
  }

  /** Echoes sent between two moments (performance.now()); a lost echo counts as the slowest possible. */
  window(from: number, to: number): EchoWindow {
    const inWindow = this.#samples.filter(([at]) => at >= from && at < to).map(([, rtt]) => rtt);
    const lost = inWindow.filter((rtt) => rtt < 0).length;
    const rtts = inWindow.map((rtt) => (rtt < 0 ? ECHO_TIMEOUT_MS : rtt)).sort((a, b) => a - b);
    return { echoes: rtts.length, lost, p50Ms: rtts.length ? round2(percentile(rtts, 50)) : NaN, p99Ms: rtts.length ? round2(percentile(rtts, 99)) : NaN };
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const socket of this.#sockets.splice(0)) socket.close();
  }
}
