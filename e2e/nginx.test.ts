// The demo page in Debian's Chromium through Debian's nginx on one public port: the page, the
// endpoint and every socket.io request go to nginx's port, which routes /w/N/ to worker N. nginx runs
// what `sioroute nginx-config` prints for the test's ports; sioroute runs with TRUST_PROXY and the
// WORKER_PUBLIC_URL that the generated configuration recommends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import { nginxWorkerPublicUrl } from '../src/deploy/nginx-config.js';
import { startBehindNginx, type BehindNginx } from '../src/testing/behind-nginx.js';
import {
  addressesOnTwoWorkers,
  collectPageErrors,
  embeddedEndpoint,
  forwardedFor,
  launchChromium,
  sendChat,
  WAIT_MS,
  waitChatAcked,
  waitChatText,
  waitConnected,
  waitEchoCount,
  waitEchoRtt,
  waitWhoAmIPid,
  recordPageHistory,
  startBoth,
} from './browser.js';

const TEST_TIMEOUT_MS = 60_000;

describe('demo page in Chromium behind nginx (one public port)', () => {
  let browser: Browser | undefined;
  let site: BehindNginx | undefined;

  before(
    async () => {
      await startBoth(launchChromium(), startBehindNginx({ workers: 2, workerPublicUrl: (port) => nginxWorkerPublicUrl(String(port)) }), (b, s) => {
        browser = b;
        site = s;
      });
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      const [closed, stopped] = await Promise.allSettled([browser?.close(), site?.stop()]);
      if (closed.status === 'rejected') throw closed.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
      assert.equal(stopped.value, site ? 0 : undefined, 'sioroute exits cleanly on SIGTERM');
    },
    { timeout: 60_000 },
  );

  /** Every WebSocket the page opens, by URL. */
  const watchWebSockets = (page: Page) => {
    const urls: string[] = [];
    page.on('websocket', (ws) => urls.push(ws.url()));
    return urls;
  };

  test('two pages on two workers connect over WebSocket through /w/N/, echo, and chat with each other', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { nginx, cluster } = site!;
    // Chromium connects from 127.0.0.1; X-Forwarded-For through nginx (which appends it) routes each page as another client.
    const [a, b] = await addressesOnTwoWorkers(nginx.url);
    const pages = await Promise.all(
      [a, b].map(async ({ address, workerId }) => {
        const context = await browser!.newContext();
        await forwardedFor(context, nginx.url, address);
        const page = await context.newPage();
        return { page, workerId, errors: collectPageErrors(page), websockets: watchWebSockets(page) };
      }),
    );
    try {
      for (const { page, workerId, errors, websockets } of pages) {
        const response = await page.goto(`${nginx.url}/`, { waitUntil: 'load', timeout: WAIT_MS });
        assert.equal(response?.status(), 200);
        const endpoint = await embeddedEndpoint(page);
        assert.equal(endpoint.workerId, workerId);
        assert.equal(endpoint.url, nginx.url, 'the worker address is nginx\'s origin');
        assert.equal(endpoint.path, `/w/${workerId.slice(1)}/socket.io`);

        await waitConnected(page, 'websocket');
        assert.equal(await page.locator('body').getAttribute('data-worker-id'), workerId);
        await waitEchoRtt(page);
        const pid = await waitWhoAmIPid(page);
        assert.equal(pid, cluster.workers.find((w) => w.id === workerId)!.pid, `the page is served by ${workerId}`);
        const wsUrl = `${nginx.url.replace('http:', 'ws:')}/w/${workerId.slice(1)}/socket.io/`;
        assert.ok(websockets.length > 0 && websockets.every((u) => u.startsWith(wsUrl)), `WebSockets ${websockets.join(', ')} not all to ${wsUrl}`);
        assert.deepEqual(errors, [], 'console errors (a CSP violation is one) or page errors');
      }
      const [pageA, pageB] = pages;
      const text = `through nginx ${Date.now()}`;
      await sendChat(pageA!.page, text);
      await waitChatAcked(pageA!.page);
      assert.match(await waitChatText(pageB!.page, text), new RegExp(`^${pageA!.workerId}/`), 'the message came from the other worker');
      for (const { errors } of pages) assert.deepEqual(errors, []);
    } finally {
      for (const { page } of pages) await page.context().close();
    }
  });

  test('?transports=polling stays on long-polling through /w/N/ with no refused request', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { nginx } = site!;
    const context = await browser!.newContext();
    await recordPageHistory(context);
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const websockets = watchWebSockets(page);
      const answers: { url: string; status: number }[] = [];
      page.on('response', (r) => answers.push({ url: r.url(), status: r.status() }));
      await page.goto(`${nginx.url}/?transports=polling`, { waitUntil: 'load', timeout: WAIT_MS });
      const endpoint = await embeddedEndpoint(page);
      await waitConnected(page, 'polling');
      await waitEchoCount(page, 3);
      const polls = answers.filter((r) => r.url.startsWith(`${nginx.url}${endpoint.path}/`) && /[?&]sid=/.test(r.url));
      assert.ok(polls.length >= 3, `expected several polling requests with the session id through nginx, saw ${polls.length}`);
      assert.deepEqual(polls.filter((r) => r.status !== 200), [], 'a polling request was refused (e.g. 400 Session ID unknown)');
      assert.deepEqual(websockets, []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
