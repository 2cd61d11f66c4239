// A single-page app built with a real bundler (esbuild) against `sioroute/client`, served from
// another origin than the front, in Debian's Chromium: it resolves, connects straight to a worker,
// echoes, and survives kill -9 of that worker.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startCluster, type RunningCluster } from '../src/testing/cluster-process.js';
import { collectPageErrors, launchChromium, WAIT_MS } from './browser.js';

declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: { spa: { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } };

let project: string;
let spaServer: Server;
let spaOrigin: string;
let cluster: RunningCluster;
let browser: Browser;

before(async () => {
  // The app's project: its source and sioroute in its node_modules (the package root, as `npm link` would).
  project = await mkdtemp(join(tmpdir(), 'sioroute-spa-'));
  await mkdir(join(project, 'node_modules'));
  await symlink(PACKAGE_ROOT, join(project, 'node_modules', 'sioroute'), 'dir');
  const result = await build({
    entryPoints: [join(PACKAGE_ROOT, 'e2e', 'spa', 'main.ts')],
    bundle: true,
    format: 'esm',
    outfile: join(project, 'dist', 'main.js'),
    nodePaths: [join(project, 'node_modules')],
    logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  await writeFile(join(project, 'dist', 'index.html'), '<!doctype html><title>spa</title><body data-state="loading"><script type="module" src="/main.js"></script></body>');
  spaServer = createServer(async (req, res) => {
    const file = req.url?.startsWith('/main.js') ? 'main.js' : 'index.html';
    const { readFile } = await import('node:fs/promises');
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html' });
    res.end(await readFile(join(project, 'dist', file)));
  });
  await new Promise<void>((resolve) => spaServer.listen(0, '127.0.0.1', resolve));
  spaOrigin = `http://127.0.0.1:${(spaServer.address() as AddressInfo).port}`;
  cluster = await startCluster({ env: { ALLOWED_ORIGINS: spaOrigin } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
  spaServer?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

test('the bundled SPA on another origin connects through the front, echoes, and survives kill -9 of its worker', { timeout: 90_000 }, async () => {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${spaOrigin}/?front=${encodeURIComponent(cluster.frontUrl)}`);
  await page.waitForFunction(() => document.body.dataset.state === 'connected', undefined, { timeout: WAIT_MS });
  const first = await page.evaluate(() => window.spa.emitWithAck('whoami')) as { workerId: string; pid: number };
  assert.deepEqual(await page.evaluate(() => window.spa.emitWithAck('echo', { n: 2 })), { n: 2 });
  assert.equal(await page.evaluate(() => document.body.dataset.workerId), first.workerId);

  process.kill(first.pid, 'SIGKILL');
  await page.waitForFunction(() => document.body.dataset.state !== 'connected', undefined, { timeout: WAIT_MS });
  await page.waitForFunction(() => document.body.dataset.state === 'connected', undefined, { timeout: WAIT_MS });
  const second = await page.evaluate(() => window.spa.emitWithAck('whoami')) as { workerId: string; pid: number };
  assert.notEqual(second.pid, first.pid, 'served by a live process');
  assert.deepEqual(await page.evaluate(() => window.spa.emitWithAck('echo', { n: 3 })), { n: 3 });
  // The browser logs the requests the kill cut (reset) and the one quick try of the dead worker (a
  // blip could have been just that: refused) as network errors; nothing else may show.
  const deadPort = cluster.workers.find((w) => w.id === first.workerId)!.port;
  assert.deepEqual(errors.filter((e) => !(/net::ERR_CONNECTION_(REFUSED|RESET)/.test(e) && e.includes(`127.0.0.1:${deadPort}/`))), []);
  await page.close();
});
