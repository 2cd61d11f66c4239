// sioroute/client opens a WebSocket first and falls back to polling when the WebSocket fails. Proven
// with a real blocked WebSocket: nginx on one public port with the configuration `sioroute
// nginx-config` prints, less the two lines that pass the Upgrade handshake on (the usual mistake in
// a hand-written proxy configuration, and what a proxy that does not speak WebSocket does). Every
// WebSocket handshake then reaches the worker as a plain GET, which refuses it (400). The demo page
// in Chromium and the client in Node must both end up connected over polling, and stay there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright';
import { connect } from '../src/client/index.js';
import { nginxWorkerPublicUrl } from '../src/deploy/nginx-config.js';
import { startBehindNginx, type BehindNginx } from '../src/testing/behind-nginx.js';
import { launchChromium, recordPageHistory, startBoth, WAIT_MS, waitConnected, waitEchoCount } from './browser.js';

const TEST_TIMEOUT_MS = 60_000;
const UPGRADE_LINES = [/^\s*proxy_set_header Upgrade .*\n/m, /^\s*proxy_set_header Connection .*\n/m];

/** The generated configuration without the Upgrade pass-through. */
function withoutUpgrade(config: string): string {
  let edited = config;
  for (const line of UPGRADE_LINES) {
    assert.match(edited, line, 'the generated configuration passes the Upgrade handshake on');
    edited = edited.replace(line, '');
  }
  return edited;
}

describe('WebSocket blocked by the proxy: sioroute/client falls back to polling', () => {
  let browser: Browser | undefined;
  let site: BehindNginx | undefined;

  before(
    async () => {
      await startBoth(launchChromium(), startBehindNginx({ workers: 2, workerPublicUrl: (port) => nginxWorkerPublicUrl(String(port)), editConfig: withoutUpgrade }), (b, s) => {
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
    },
    { timeout: 60_000 },
  );

  test('the demo page tries a WebSocket, is refused, and connects over polling with its default options', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { nginx } = site!;
    const context = await browser!.newContext();
    try {
      await recordPageHistory(context);
      const page = await context.newPage();
      const websockets: { url: string; failed: boolean }[] = [];
      page.on('websocket', (ws) => {
        const seen = { url: ws.url(), failed: false };
        websockets.push(seen);
        ws.on('socketerror', () => (seen.failed = true));
        ws.on('close', () => (seen.failed = true));
      });
      const polls: number[] = [];
      page.on('response', (response) => {
        if (/[?&]transport=polling/.test(response.url())) polls.push(response.status());
      });
      await page.goto(`${nginx.url}/`, { waitUntil: 'load', timeout: WAIT_MS });
      await waitConnected(page, 'polling');
      await waitEchoCount(page, 2);
      assert.equal(await page.locator('body').getAttribute('data-transport'), 'polling', 'it stays on polling');
      assert.ok(websockets.length >= 1, 'the page tried a WebSocket first');
      assert.ok(websockets.every((ws) => ws.failed && ws.url.startsWith(nginx.url.replace('http:', 'ws:'))), JSON.stringify(websockets));
      assert.ok(polls.length >= 3, `several polling requests, saw ${polls.length}`);
      assert.deepEqual(polls.filter((status) => status !== 200), [], 'a polling request was refused');
    } finally {
      await context.close();
    }
  });

  test('sioroute/client in Node does the same: refused WebSocket, then polling; echo answers', { timeout: TEST_TIMEOUT_MS }, async () => {
    const socket = connect({ endpointUrl: `${site!.nginx.url}/ws-endpoint` });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', resolve);
        socket.on('connect_error', (error) => reject(new Error(`${error.code}: ${error.message}`)));
      });
      assert.equal(socket.transport, 'polling');
      assert.deepEqual(await socket.emitWithAck('echo', 'through polling'), 'through polling');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(socket.transport, 'polling', 'no upgrade: the WebSocket is known not to work');
      assert.equal(socket.info.failures, 0);
    } finally {
      socket.close();
    }
  });
});
