// The /status page in Debian's Chromium against a real cluster: the chart of clients per worker
// redraws by itself as clients come and go, and without JavaScript the first paint says the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import { STATE_COLOURS } from '../src/client/status-chart.js';
import { clientAddress, connectClient, type DemoSocket } from '../src/testing/clients.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import { collectPageErrors, getStatus, launchChromium, WAIT_MS, waitForStatus, startBoth } from './browser.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument;
declare const window: { __statusMarker?: string };

const TEST_TIMEOUT_MS = 60_000;

interface Bar {
  clients: string | undefined;
  state: string | undefined;
  count: string | null;
  width: string | null;
  fill: string | null;
}

/** The chart as drawn: per worker id, its data attributes, the count shown, the bar's width and colour. */
async function chartBars(page: Page): Promise<Record<string, Bar>> {
  return page.evaluate(() => {
    const bars: Record<string, Bar> = {};
    for (const g of document.querySelectorAll('#status-chart g')) {
      const texts = [...g.querySelectorAll('text')];
      const rect = g.querySelector('rect');
      bars[g.dataset.workerId ?? ''] = {
        clients: g.dataset.clients,
        state: g.dataset.state,
        count: texts[1]?.textContent ?? null,
        width: rect?.getAttribute('width') ?? null,
        fill: rect?.getAttribute('fill') ?? null,
      };
    }
    return bars;
  });
}

/** Waits until the chart shows `clients` for the worker, in its data, its label and its bar. */
async function waitChartClients(page: Page, workerId: string, clients: number): Promise<void> {
  await page.waitForFunction(
    ([id, n]) => {
      const g = [...document.querySelectorAll('#status-chart g')].find((el) => el.dataset.workerId === id);
      const count = g ? [...g.querySelectorAll('text')][1]?.textContent : undefined;
      const width = Number(g?.querySelector('rect')?.getAttribute('width'));
      return g?.dataset.clients === String(n) && count === String(n) && (n === 0 ? width === 0 : width > 0);
    },
    [workerId, clients] as const,
    { timeout: WAIT_MS },
  );
}

describe('status page in Chromium', () => {
  let browser: Browser | undefined;
  let cluster: RunningCluster | undefined;
  const sockets: DemoSocket[] = [];

  before(
    async () => {
      await startBoth(launchChromium(), startCluster({ env: { WORKERS: '2' }, timeoutMs: 30_000 }), (b, c) => {
        browser = b;
        cluster = c;
      });
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      for (const socket of sockets) socket.close();
      const [closed, stopped] = await Promise.allSettled([browser?.close(), cluster?.stop()]);
      if (closed.status === 'rejected') throw closed.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
      if (stopped.status === 'fulfilled' && stopped.value !== undefined) assert.equal(stopped.value, 0);
    },
    { timeout: 60_000 },
  );

  test('the chart follows a client connecting and leaving, with no reload', { timeout: TEST_TIMEOUT_MS }, async () => {
    const frontUrl = cluster!.frontUrl;
    const context = await browser!.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${frontUrl}/status`, { waitUntil: 'load', timeout: WAIT_MS });
      await page.waitForFunction(() => document.body.dataset.live === 'on', null, { timeout: WAIT_MS });
      // Survives only as long as this very document does: a reload would drop it.
      await page.evaluate(() => {
        window.__statusMarker = 'first load';
      });
      const before = await chartBars(page);
      assert.deepEqual(Object.keys(before).sort(), ['w0', 'w1']);
      for (const bar of Object.values(before)) assert.deepEqual([bar.clients, bar.state, bar.fill], ['0', 'ready', STATE_COLOURS.ready]);

      const { socket, endpoint } = await connectClient(frontUrl, clientAddress(1));
      sockets.push(socket);
      await waitChartClients(page, endpoint.workerId, 1);
      const rowClients = await page.locator(`#status-rows tr[data-worker-id="${endpoint.workerId}"] td`).nth(5).textContent();
      assert.equal(rowClients, '1');
      assert.equal(await page.locator('#status-clients').textContent(), '1');

      socket.close();
      await waitChartClients(page, endpoint.workerId, 0);
      assert.equal(await page.evaluate(() => window.__statusMarker), 'first load', 'the page was reloaded');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the server-rendered chart shows the same picture', { timeout: TEST_TIMEOUT_MS }, async () => {
    const frontUrl = cluster!.frontUrl;
    const { socket, endpoint } = await connectClient(frontUrl, clientAddress(2));
    sockets.push(socket);
    await waitForStatus(frontUrl, (s) => s.list.find((w) => w.id === endpoint.workerId)?.clients === 1);
    const context = await browser!.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${frontUrl}/status`, { waitUntil: 'load', timeout: WAIT_MS });
      assert.equal(await page.locator('body').getAttribute('data-live'), 'off');
      const bars = await page.locator('#status-chart g').evaluateAll((gs) =>
        gs.map((g) => [g.getAttribute('data-worker-id'), g.getAttribute('data-clients'), g.querySelector('rect')?.getAttribute('fill')]),
      );
      const status = await getStatus(frontUrl);
      assert.deepEqual(bars, status.list.map((w) => [w.id, String(w.clients), STATE_COLOURS[w.state]]));
      assert.ok(bars.some(([id, clients]) => id === endpoint.workerId && clients === '1'));
    } finally {
      await context.close();
      socket.close();
    }
  });
});
