// Test support: clients that keep sending acknowledged echoes while something happens to their
// workers (a drain, a restart), counting what was sent, acknowledged, failed or answered wrongly.
import type { RehomingClient } from './rehoming-client.js';

export function keepTalking(clients: readonly RehomingClient[]) {
  let running = true;
  const counts = { sent: 0, acked: 0, failed: 0, wrong: 0 };
  const loops = clients.map(async (client, i) => {
    for (let n = 0; running; n++) {
      const payload = `${i}:${n}`;
      counts.sent++;
      try {
        const echoed = await client.echo(payload);
        if (echoed === payload) counts.acked++;
        else counts.wrong++;
      } catch {
        counts.failed++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
