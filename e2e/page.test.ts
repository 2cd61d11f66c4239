// The demo page in Debian's Chromium against a real cluster (supervisor + front + 2 workers).
// One browser and one cluster for the whole file; the worker-kill test runs last.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import {
  addressesOnTwoWorkers,
  collectPageErrors,
  echoCount,
  embeddedEndpoint,
  forwardedFor,
  getStatus,
  launchChromium,
  recordPageHistory,
  sendChat,
  stateHistory,
  WAIT_MS,
  waitChatAcked,
  waitChatText,
  waitConnected,
  waitEchoCount,
  waitEchoRtt,
  waitForStatus,
  waitWhoAmIPid,
  startBoth,
} from './browser.js';

const TEST_TIMEOUT_MS = 60_000;

/** cluster.stop(), bounded: a supervisor that does not exit on SIGTERM is killed, and that is a failure. */
async function stopBounded(cluster: RunningCluster, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([cluster.stop(), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    cluster.process.kill('SIGKILL');
    throw new Error(`sioroute did not exit within ${timeoutMs} ms of SIGTERM; killed it. Last lines:\n${cluster.lines.slice(-15).join('\n')}`);
  }
}

async function bodyData(page: Page, name: string): Promise<string | null> {
  return page.locator('body').getAttribute(`data-${name}`);
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

/**
 * Open the page, wait until it is connected, and return it with its worker id and that worker's
 * pid, checked against /status.json (tests signal that pid: it must be the cluster's own worker).
 */
async function openPageOnWorker(context: BrowserContext, frontUrl: string) {
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
  await waitConnected(page);
  const workerId = (await bodyData(page, 'worker-id')) ?? '';
  const pid = await waitWhoAmIPid(page);
  const owner = (await getStatus(frontUrl)).list.find((w) => w.pid === pid);
  assert.equal(owner?.id, workerId, `pid ${pid} is not the cluster's ${workerId}; refusing to signal it`);
  return { page, errors, workerId, pid };
}

describe('demo page in Chromium', () => {
  let browser: Browser | undefined;
  let cluster: RunningCluster | undefined;

  before(
    async () => {
      // Both at once; if one fails, the other is still cleaned up in after().
      await startBoth(launchChromium(), startCluster({ env: { TRUST_PROXY: '127.0.0.1', DRAIN_SECONDS: '1' }, timeoutMs: 30_000 }), (b, c) => {
        browser = b;
        cluster = c;
      });
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      const [closed, stopped] = await Promise.allSettled([browser?.close(), cluster ? stopBounded(cluster, 20_000) : undefined]);
      if (closed.status === 'rejected') throw closed.reason;
      if (stopped.status === 'rejected') throw stopped.reason;
    },
    { timeout: 60_000 },
  );

  const env = () => ({ browser: browser!, frontUrl: cluster!.frontUrl });

  test('the page connects over WebSocket to the worker its embedded endpoint names', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { browser, frontUrl } = env();
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const response = await page.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
      assert.ok(response, 'no response for GET /');
      assert.equal(response.status(), 200);
      const csp = response.headers()['content-security-policy'];
      assert.ok(csp, `GET / has no content-security-policy header; headers: ${JSON.stringify(response.headers())}`);

      const endpoint = await embeddedEndpoint(page);
      assert.match(endpoint.workerId, /^w[0-9]+$/);
      const connectSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src')) ?? '';
      // The worker's host at any port: a worker that respawns on a new port stays reachable.
      const workerHostAnyPort = endpoint.url.replace(/:[0-9]+$/, ':*');
      assert.ok(connectSrc.split(/\s+/).includes(workerHostAnyPort), `CSP connect-src "${connectSrc}" does not allow the worker ${endpoint.url}`);
      assert.ok(!connectSrc.split(/\s+/).some((s) => s === '*' || s === 'http:' || s === 'ws:'), `CSP connect-src "${connectSrc}" is too wide`);

      await waitConnected(page, 'websocket');
      assert.equal(await bodyData(page, 'worker-id'), endpoint.workerId);
      assert.equal(await text(page, '#state'), 'connected');
      assert.equal(await text(page, '#worker-id'), endpoint.workerId);
      assert.equal(await text(page, '#transport'), 'websocket');
      assert.equal(await text(page, '#error'), '');

      await waitEchoRtt(page);
      const pid = await waitWhoAmIPid(page);
      const worker = (await getStatus(frontUrl)).list.find((w) => w.id === endpoint.workerId);
      assert.ok(worker, `/status.json does not list ${endpoint.workerId}`);
      assert.equal(pid, worker.pid, `#whoami says pid ${pid}, /status.json says ${endpoint.workerId} is pid ${worker.pid}`);

      const dir = join(PACKAGE_ROOT, 'test-results');
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'page.png'), fullPage: true });

      assert.deepEqual(errors, [], 'console errors or page errors');
    } finally {
      await context.close();
    }
  });

  test('?transports=polling connects and stays on long-polling through several echo rounds', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { browser, frontUrl } = env();
    const context = await browser.newContext();
    await recordPageHistory(context);
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const websockets: string[] = [];
      page.on('websocket', (ws) => websockets.push(ws.url()));
      const workerAnswers: { url: string; status: number }[] = [];
      const failed: string[] = [];
      page.on('response', (r) => workerAnswers.push({ url: r.url(), status: r.status() }));
      page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText ?? '?'}`));

      await page.goto(`${frontUrl}/?transports=polling`, { waitUntil: 'load', timeout: WAIT_MS });
      const endpoint = await embeddedEndpoint(page);
      await waitConnected(page, 'polling');
      assert.equal(await bodyData(page, 'worker-id'), endpoint.workerId);

      // Each echo round rewrites #echo-rtt (every 2 s); three writes = at least two rounds after the first.
      await waitEchoCount(page, 3);
      assert.ok((await echoCount(page)) >= 3);
      assert.equal(await bodyData(page, 'transport'), 'polling');
      assert.equal(await text(page, '#transport'), 'polling');
      assert.match(await text(page, '#echo-rtt'), /^[0-9]+ ms$/);
      assert.deepEqual(websockets, [], 'a WebSocket was opened although only polling is allowed');
      assert.deepEqual((await stateHistory(page)).map((s) => s.state), ['connecting', 'connected'], 'the connection was lost on the way');

      const polls = workerAnswers.filter((a) => a.url.startsWith(`${endpoint.url}${endpoint.path}/`));
      const withSid = polls.filter((a) => /[?&]sid=/.test(a.url) && /[?&]transport=polling/.test(a.url));
      assert.ok(withSid.length >= 3, `expected several polling requests carrying the session id, saw ${withSid.length}`);
      assert.deepEqual(polls.filter((a) => a.status !== 200), [], 'a polling request was refused (e.g. 400 Session ID unknown)');
      assert.deepEqual(failed.filter((f) => f.startsWith(endpoint.url)), [], 'a polling request failed');
      assert.deepEqual(errors, [], 'console errors or page errors');
    } finally {
      await context.close();
    }
  });

  test('two browsers routed to different workers chat with each other, markup stays text', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { browser, frontUrl } = env();
    const [a, b] = await addressesOnTwoWorkers(frontUrl);
    assert.notEqual(a.workerId, b.workerId);
    const contextA = await browser.newContext();
    const contextB = await browser.newContext();
    try {
      await forwardedFor(contextA, frontUrl, a.address);
      await forwardedFor(contextB, frontUrl, b.address);
      const pageA = await contextA.newPage();
      const pageB = await contextB.newPage();
      const errorsA = collectPageErrors(pageA);
      const errorsB = collectPageErrors(pageB);
      await Promise.all([
        pageA.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS }),
        pageB.goto(`${frontUrl}/`, { waitUntil: 'load', timeout: WAIT_MS }),
      ]);
      assert.equal((await embeddedEndpoint(pageA)).workerId, a.workerId, `the page rendered for ${a.address} names another worker`);
      assert.equal((await embeddedEndpoint(pageB)).workerId, b.workerId, `the page rendered for ${b.address} names another worker`);
      await Promise.all([waitConnected(pageA), waitConnected(pageB)]);
      assert.equal(await bodyData(pageA, 'worker-id'), a.workerId);
      assert.equal(await bodyData(pageB, 'worker-id'), b.workerId);

      const tag = Date.now().toString(36);
      const fromA = `hello from A ${tag}`;
      await sendChat(pageA, fromA);
      const [seenByB, seenByA] = await Promise.all([waitChatText(pageB, fromA), waitChatText(pageA, fromA)]);
      assert.ok(seenByB.startsWith(`${a.workerId}/`), `B shows A's message as from "${seenByB}", expected ${a.workerId}/...`);
      assert.equal(seenByA, seenByB);

      const fromB = `hello from B ${tag}`;
      await sendChat(pageB, fromB);
      const seenFromB = await waitChatText(pageA, fromB);
      assert.ok(seenFromB.startsWith(`${b.workerId}/`), `A shows B's message as from "${seenFromB}", expected ${b.workerId}/...`);
      await waitChatText(pageB, fromB);

      const markup = `<img src=x onerror=alert(1)> ${tag}`;
      await sendChat(pageB, markup);
      await Promise.all([waitChatText(pageA, markup), waitChatText(pageB, markup)]);
      for (const page of [pageA, pageB]) {
        assert.equal(await page.locator('#chat-log img').count(), 0, 'chat markup was rendered as an element');
        assert.equal(await page.locator('#chat-log li .text').last().textContent(), markup);
      }

      assert.deepEqual(errorsA, [], 'console errors or page errors in A');
      assert.deepEqual(errorsB, [], 'console errors or page errors in B');
    } finally {
      await Promise.allSettled([contextA.close(), contextB.close()]);
    }
  });

  test('a drained worker\'s page moves to another worker with no error shown', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { browser, frontUrl } = env();
    const context = await browser.newContext();
    await recordPageHistory(context);
    // Every error text the page shows, however briefly.
    await context.addInitScript(() => {
      const g = globalThis as unknown as { errorsSeen: string[]; setInterval(f: () => void, ms: number): unknown; document: { getElementById(id: string): { textContent: string | null } | null } };
      g.errorsSeen = [];
      g.setInterval(() => {
        const text = g.document.getElementById('error')?.textContent;
        if (text) g.errorsSeen.push(text);
      }, 10);
    });
    try {
      const { page, errors, workerId, pid } = await openPageOnWorker(context, frontUrl);
      const statesBefore = (await stateHistory(page)).length;

      process.kill(pid, 'SIGTERM');
      const newPid = await waitWhoAmIPid(page, pid);
      const since = (await stateHistory(page)).slice(statesBefore).map((s) => s.state);
      assert.ok(since.includes('reconnecting'), `states: ${since.join(' -> ')}`);
      assert.ok(!since.includes('failed'));
      assert.equal(since.at(-1), 'connected');
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { errorsSeen: string[] }).errorsSeen), [], 'no error shown during the move');
      assert.notEqual(newPid, pid);
      const message = `after the drain ${Date.now().toString(36)}`;
      await sendChat(page, message);
      await waitChatText(page, message);
      assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
      t.diagnostic(`drained ${workerId}: the page moved to ${(await bodyData(page, 'worker-id')) ?? '?'} (states ${since.join(' -> ')})`);
    } finally {
      await context.close();
    }
  });

  // Last: it kills a worker of the shared cluster.
  test('the page recovers when its worker is killed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { browser, frontUrl } = env();
    const context = await browser.newContext();
    await recordPageHistory(context);
    try {
      const { page, errors, workerId: oldWorkerId, pid: oldPid } = await openPageOnWorker(context, frontUrl);
      const statesBefore = (await stateHistory(page)).length;

      const killedAt = Date.now();
      process.kill(oldPid, 'SIGKILL');
      const newPid = await waitWhoAmIPid(page, oldPid);
      const recoveredMs = Date.now() - killedAt;
      const newWorkerId = (await bodyData(page, 'worker-id')) ?? '';

      const since = (await stateHistory(page)).slice(statesBefore);
      const lost = since.find((s) => s.state !== 'connected');
      assert.ok(lost, `the page never left "connected" after its worker died; states: ${JSON.stringify(since)}`);
      assert.equal(since.at(-1)?.state, 'connected');
      assert.notEqual(newPid, oldPid);
      await waitForStatus(frontUrl, (s) => s.list.some((w) => w.id === newWorkerId && w.pid === newPid));

      const message = `back after the kill ${Date.now().toString(36)}`;
      await sendChat(page, message);
      await waitChatText(page, message);
      await waitChatAcked(page);

      const states = since.map((s) => `${s.state}@+${s.at - killedAt}ms`).join(' -> ');
      t.diagnostic(`killed ${oldWorkerId} (pid ${oldPid}); connected again to ${newWorkerId} (pid ${newPid}) after ${recoveredMs} ms; states: ${states}`);
      assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), [], 'uncaught page errors');
    } finally {
      await context.close();
    }
  });
  test('an emit in flight when its worker hangs and dies is sent again after re-homing', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { browser, frontUrl } = env();
    const context = await browser.newContext();
    try {
      const { page, workerId, pid } = await openPageOnWorker(context, frontUrl);

      // The worker stops answering with the emit on its way; then it dies. Its ack can only come from
      // the resend on the next worker.
      process.kill(pid, 'SIGSTOP');
      const text = `held across a crash ${Date.now().toString(36)}`;
      await page.evaluate((message) => {
        const page = globalThis as unknown as { sioroute: { emitWithAck(e: string, m: string): Promise<unknown> }; held?: Promise<unknown> };
        page.held = page.sioroute.emitWithAck('chat:send', message);
      }, text);
      process.kill(pid, 'SIGKILL');
      const ack = await page.evaluate(() => (globalThis as unknown as { held: Promise<unknown> }).held);
      assert.deepEqual(ack, { ok: true });
      await waitChatText(page, text);
      assert.notEqual(await waitWhoAmIPid(page, pid), pid);
      t.diagnostic(`emit held by stopped ${workerId} was acknowledged after re-homing to ${(await bodyData(page, 'worker-id')) ?? '?'}`);
    } finally {
      await context.close();
    }
  });
});
