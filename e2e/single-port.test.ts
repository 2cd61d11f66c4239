// The demo page in Debian's Chromium against `sioroute start --single-port`: page, /ws-endpoint and
// socket.io on one port, the browser on the worker its address (127.0.0.1) hashes to. Chromium
// always connects from 127.0.0.1, so the other side of a chat is a Node client from another
// loopback address. One browser and one cluster for the file; the worker-kill test runs last.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright';
import type { ChatMessage } from '../src/protocol/wire.js';
import { clientAddress, connectClient, type DemoSocket } from '../src/testing/clients.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import {
  collectPageErrors,
  embeddedEndpoint,
  getStatus,
  launchChromium,
  recordPageHistory,
  sendChat,
  stateHistory,
  WAIT_MS,
  waitChatText,
  waitConnected,
  waitEchoCount,
  waitEchoRtt,
  waitForStatus,
  waitWhoAmIPid,
  startBoth,
} from './browser.js';
import { pureRoute } from '../src/routing/test-keys.js';

const TEST_TIMEOUT_MS = 60_000;
const BROWSER_ADDRESS = '127.0.0.1';

describe('demo page in Chromium, single-port mode', () => {
  let browser: Browser | undefined;
  let cluster: RunningCluster | undefined;
  const ids = ['w0', 'w1', 'w2'];

  before(
    async () => {
      await startBoth(launchChromium(), startCluster({ args: ['--single-port'], env: { WORKERS: '3' }, timeoutMs: 30_000 }), (b, c) => {
        browser = b;
        cluster = c;
      });
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      const [closed, stopped] = await Promise.allSettled([browser?.close(), cluster?.stop()]);
      if (closed.status === 'rejected') throw closed.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
      if (stopped.status === 'fulfilled' && stopped.value !== undefined) assert.equal(stopped.value, 0, 'clean exit on SIGTERM');
    },
    { timeout: 60_000 },
  );

  test('the page comes from the public port and connects over WebSocket on that port to the worker its address hashes to', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { frontUrl } = cluster!;
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const websockets: string[] = [];
      page.on('websocket', (ws) => websockets.push(ws.url()));
      const response = await page.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
      assert.equal(response?.status(), 200);
      const endpoint = await embeddedEndpoint(page);
      assert.equal(endpoint.url, frontUrl, 'the worker is reached at the page\'s own origin');
      assert.equal(endpoint.workerId, pureRoute(ids, BROWSER_ADDRESS));
      await waitConnected(page, 'websocket');
      assert.equal(await page.locator('body').getAttribute('data-worker-id'), endpoint.workerId);
      assert.ok(websockets.length > 0 && websockets.every((url) => url.startsWith(`${frontUrl.replace(/^http/, 'ws')}/socket.io/`)), websockets.join(', '));
      const pid = await waitWhoAmIPid(page);
      assert.equal((await getStatus(frontUrl)).list.find((w) => w.pid === pid)?.id, endpoint.workerId, 'whoami is the worker the hash picks');
      assert.match(await waitEchoRtt(page), /^[0-9]+ ms$/);
      assert.deepEqual(errors, [], 'console errors (a CSP violation among them) or page errors');
    } finally {
      await context.close();
    }
  });

  test('?transports=polling stays on long-polling through the primary, every poll on the same worker', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { frontUrl } = cluster!;
    const context = await browser!.newContext();
    await recordPageHistory(context);
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const polls: { url: string; status: number }[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/socket.io/')) polls.push({ url: r.url(), status: r.status() });
      });
      const websockets: string[] = [];
      page.on('websocket', (ws) => websockets.push(ws.url()));
      await page.goto(`${frontUrl}/?transports=polling`, { waitUntil: 'load', timeout: WAIT_MS });
      await waitConnected(page, 'polling');
      await waitEchoCount(page, 3);
      assert.equal(await page.locator('body').getAttribute('data-transport'), 'polling');
      assert.deepEqual((await stateHistory(page)).map((s) => s.state), ['connecting', 'connected'], 'the session was never lost');
      assert.ok(polls.filter((p) => /[?&]sid=/.test(p.url)).length >= 3, `polling requests with the session id: ${polls.length}`);
      assert.deepEqual(polls.filter((p) => p.status !== 200), [], 'a poll was refused (e.g. 400 Session ID unknown: it reached another worker)');
      assert.deepEqual(websockets, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('chat crosses workers: the page and a client hashed to another worker hear each other', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { frontUrl } = cluster!;
    const pageWorker = pureRoute(ids, BROWSER_ADDRESS);
    let other: { socket: DemoSocket; workerId: string } | undefined;
    for (let i = 0; !other && i < 100; i++) {
      if (pureRoute(ids, clientAddress(i)) === pageWorker) continue;
      const { socket, endpoint } = await connectClient(frontUrl, clientAddress(i), { transports: ['websocket'] });
      other = { socket, workerId: endpoint.workerId };
    }
    assert.ok(other);
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
      await waitConnected(page);
      const tag = Date.now().toString(36);

      const heard = new Promise<ChatMessage>((resolve) => other.socket.on('chat:message', (m) => m.text.endsWith(tag) && resolve(m)));
      await sendChat(page, `from the page ${tag}`);
      const message = await heard;
      assert.ok(message.from.startsWith(`${pageWorker}/`), `the Node client heard it from ${message.from}`);

      assert.deepEqual(await other.socket.timeout(5000).emitWithAck('chat:send', `from ${other.workerId} ${tag}`), { ok: true });
      const from = await waitChatText(page, `from ${other.workerId} ${tag}`);
      assert.ok(from.startsWith(`${other.workerId}/`), `the page shows it from ${from}`);
      assert.deepEqual(errors, []);
    } finally {
      other.socket.close();
      await context.close();
    }
  });

  // Last: it kills a worker of the shared cluster.
  test('the page re-homes to a live worker when its worker is killed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { frontUrl } = cluster!;
    const context = await browser!.newContext();
    await recordPageHistory(context);
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
      await waitConnected(page);
      const oldWorker = (await page.locator('body').getAttribute('data-worker-id')) ?? '';
      const oldPid = await waitWhoAmIPid(page);
      assert.equal((await getStatus(frontUrl)).list.find((w) => w.pid === oldPid)?.id, oldWorker, `pid ${oldPid} is not the cluster's ${oldWorker}; refusing to signal it`);
      const statesBefore = (await stateHistory(page)).length;

      const killedAt = Date.now();
      process.kill(oldPid, 'SIGKILL');
      const newPid = await waitWhoAmIPid(page, oldPid);
      const recoveredMs = Date.now() - killedAt;
      const newWorker = (await page.locator('body').getAttribute('data-worker-id')) ?? '';
      const since = (await stateHistory(page)).slice(statesBefore);
      assert.ok(since.some((s) => s.state !== 'connected'), `the page never noticed; states ${JSON.stringify(since)}`);
      assert.equal(since.at(-1)?.state, 'connected');
      // The pick among the live workers, or the slot's respawned process if it was back first.
      if (newWorker !== oldWorker) assert.equal(newWorker, pureRoute(ids.filter((id) => id !== oldWorker), BROWSER_ADDRESS));
      await waitForStatus(frontUrl, (s) => s.list.some((w) => w.id === newWorker && w.pid === newPid));

      const message = `back after the kill ${Date.now().toString(36)}`;
      await sendChat(page, message);
      await waitChatText(page, message);
      t.diagnostic(`killed ${oldWorker} (pid ${oldPid}); the page is on ${newWorker} (pid ${newPid}) after ${recoveredMs} ms; states ${since.map((s) => `${s.state}@+${s.at - killedAt}ms`).join(' -> ')}`);
      assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), [], 'uncaught page errors');
    } finally {
      await context.close();
    }
  });
});
