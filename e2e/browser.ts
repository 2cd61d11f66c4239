// End-to-end support: Debian's Chromium driven by playwright, plus small helpers for the demo page.
// No downloads: the browser must already be at CHROMIUM_PATH, otherwise the tests fail loudly.
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import type { WsEndpoint } from '../src/protocol/wire.js';
import type { Status } from '../src/front/status.js';
import { httpGet } from '../src/testing/clients.js';
import type { E2eWindow, PageDocument, PageElement, PageMutationObserverConstructor } from './page-dom.js';

// Globals of the page, for the callbacks below that run in Chromium (see page-dom.ts). Module-scoped
// declarations: nothing is emitted and Node's globals are not touched.
declare const document: PageDocument;
declare const window: unknown;
declare const MutationObserver: PageMutationObserverConstructor;

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Generous: a loaded 2-core machine runs the cluster, the browser and the test runner at once. */
export const WAIT_MS = 20_000;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `e2e: no executable Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium); ` +
        'these tests never download a browser (do not run `npx playwright install`).',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Console errors and uncaught page errors (a CSP violation is reported as a console error). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    errors.push(`unexpected dialog (${dialog.type()}): ${dialog.message()}`);
    void dialog.dismiss();
  });
  return errors;
}

export interface StateChange {
  state: string;
  /** Date.now() in the page when the state was rendered. */
  at: number;
}

/**
 * Records every value the page's <body data-state> takes, from the very first render, into
 * `window.__e2eStates`, and counts writes of a non-empty #echo-rtt into `window.__e2eEchoes`
 * (a write counts even when the text is the same, so equal round trips are still rounds).
 */
export async function recordPageHistory(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as E2eWindow;
    w.__e2eStates = [];
    w.__e2eEchoes = 0;
    new MutationObserver((records) => {
      for (const r of records) {
        const target = r.target as PageElement;
        if (r.type === 'attributes' && target === document.body) {
          const state = document.body.dataset.state ?? '';
          if (w.__e2eStates.at(-1)?.state !== state) w.__e2eStates.push({ state, at: Date.now() });
        } else if (r.type === 'childList' && target.id === 'echo-rtt' && r.addedNodes.length > 0) {
          w.__e2eEchoes += 1;
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  });
}

export async function stateHistory(page: Page): Promise<StateChange[]> {
  return page.evaluate(() => [...(window as E2eWindow).__e2eStates]);
}

export async function echoCount(page: Page): Promise<number> {
  return page.evaluate(() => (window as E2eWindow).__e2eEchoes);
}

/** Waits until #echo-rtt has been written with a round trip at least `count` times (needs recordPageHistory). */
export async function waitEchoCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => (window as E2eWindow).__e2eEchoes >= n, count, { timeout: WAIT_MS });
}

/** Waits until #echo-rtt shows a round trip (`12 ms`) and returns the text. */
export async function waitEchoRtt(page: Page): Promise<string> {
  const handle = await page.waitForFunction(
    () => {
      const rtt = document.getElementById('echo-rtt')?.textContent ?? '';
      return /^[0-9]+ ms$/.test(rtt) ? rtt : false;
    },
    null,
    { timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as string;
}

/** Waits until #chat-status is empty again: every chat send was acknowledged with ok. */
export async function waitChatAcked(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('chat-status')?.textContent === '', null, { timeout: WAIT_MS });
}

/**
 * Makes every request of this context to the front carry `X-Forwarded-For: address`, so the front
 * (started with TRUST_PROXY=127.0.0.1) routes it as that client. Requests to the workers are left
 * untouched: they are other origins, and an added header would turn them into CORS preflights.
 */
export async function forwardedFor(context: BrowserContext, frontUrl: string, address: string): Promise<void> {
  await context.route(`${frontUrl}/**`, (route) =>
    route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': address } }),
  );
}

/** The page's embedded endpoint (`<script id="ws-endpoint" type="application/json">`). */
export async function embeddedEndpoint(page: Page): Promise<WsEndpoint> {
  const text = await page.locator('#ws-endpoint').textContent();
  return JSON.parse(text ?? 'null') as WsEndpoint;
}

/** Waits until the page is connected with the given transport (any when omitted). */
export async function waitConnected(page: Page, transport?: 'polling' | 'websocket'): Promise<void> {
  await page.waitForFunction(
    (want) => document.body.dataset.state === 'connected' && (want === null || document.body.dataset.transport === want),
    transport ?? null,
    { timeout: WAIT_MS },
  );
}

/** Waits until #whoami carries a pid (optionally a different one than `not`) and returns it. */
export async function waitWhoAmIPid(page: Page, not?: number): Promise<number> {
  const handle = await page.waitForFunction(
    (notPid) => {
      const pid = Number(document.getElementById('whoami')?.dataset.pid);
      return document.body.dataset.state === 'connected' && Number.isInteger(pid) && pid > 0 && pid !== notPid ? pid : false;
    },
    not ?? -1,
    { timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as number;
}

/** Types a chat message into the page's form and sends it. */
export async function sendChat(page: Page, text: string): Promise<void> {
  await page.locator('#chat-input').fill(text);
  await page.locator('#chat-form button[type="submit"]').click();
}

/** Waits until the page's #chat-log has an entry whose .text is exactly `text`; returns its .from. */
export async function waitChatText(page: Page, text: string): Promise<string> {
  const handle = await page.waitForFunction(
    (want) => {
      for (const li of document.querySelectorAll('#chat-log li')) {
        if (li.querySelector('.text')?.textContent === want) return li.querySelector('.from')?.textContent || '(no .from)';
      }
      return false;
    },
    text,
    { timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as string;
}

export async function getStatus(frontUrl: string): Promise<Status> {
  const answer = await httpGet(`${frontUrl}/status.json`);
  if (answer.status !== 200) throw new Error(`GET /status.json answered ${answer.status}: ${answer.body}`);
  return answer.json<Status>();
}

/** Polls /status.json until `check` accepts it (bounded). */
export async function waitForStatus(frontUrl: string, check: (status: Status) => boolean, timeoutMs = WAIT_MS): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    last = await getStatus(frontUrl);
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`/status.json did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** What `/ws-endpoint` answers for a client that the front sees as `address` (via X-Forwarded-For). */
export async function endpointFor(frontUrl: string, address: string): Promise<WsEndpoint> {
  const answer = await httpGet(`${frontUrl}/ws-endpoint`, { headers: { 'x-forwarded-for': address } });
  if (answer.status !== 200) throw new Error(`GET /ws-endpoint as ${address} answered ${answer.status}: ${answer.body}`);
  return answer.json<WsEndpoint>();
}

/** Two client addresses (198.51.100.x, TEST-NET-2) that the front routes to different workers. */
export async function addressesOnTwoWorkers(frontUrl: string): Promise<[{ address: string; workerId: string }, { address: string; workerId: string }]> {
  const seen = new Map<string, string>();
  for (let i = 1; i <= 60; i += 1) {
    const address = `198.51.100.${i}`;
    const { workerId } = await endpointFor(frontUrl, address);
    if (!seen.has(workerId)) seen.set(workerId, address);
    if (seen.size >= 2) {
      const [a, b] = [...seen].map(([id, addr]) => ({ address: addr, workerId: id }));
      return [a!, b!];
    }
  }
  throw new Error(`60 client addresses all routed to ${[...seen.keys()].join(', ')}: is X-Forwarded-For believed (TRUST_PROXY)?`);
}

/**
 * Start two things at once (the browser and the system under test). Whatever started is handed to
 * `keep` before a failure is thrown, so the suite's teardown still stops it.
 */
export async function startBoth<A, B>(a: Promise<A>, b: Promise<B>, keep: (a: A | undefined, b: B | undefined) => void): Promise<void> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  keep(ra.status === 'fulfilled' ? ra.value : undefined, rb.status === 'fulfilled' ? rb.value : undefined);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
}
