import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import type { WsEndpoint } from '../protocol/wire.js';
import { Membership } from '../registry/membership.js';
import { manualMembership } from '../registry/membership-source.js';
import { clientKey } from '../routing/client-key.js';
import { verifyToken } from '../routing/token.js';
import { httpGet } from '../testing/clients.js';
import { buildFrontApp, type FrontOptions } from './build-front-app.js';
import { LOAD_GUARD_OFF } from './load-guard.js';

const secret = 'front-test-secret-front-test-secret-0123';
const NOW = 1_800_000_000_000;

function worker(index: number, state: 'ready' | 'draining' | 'unhealthy' = 'ready') {
  return { id: `w${index}`, index, port: 4000 + index, pid: 100 + index, state, weight: 1, clients: 0, startedAt: NOW, lastSeenAt: NOW };
}

async function startFront(env: Record<string, string>, workers = [worker(0), worker(1), worker(2)], extra: Partial<FrontOptions> = {}) {
  const membership = new Membership();
  membership.replace(workers);
  const config = loadConfig(readRawSettings({ LOG_LEVEL: 'silent', ...env }, []));
  const app = await buildFrontApp({ config, membership: manualMembership({ membership }), secret, logger: pino({ level: 'silent' }), now: () => NOW, loadGuard: LOAD_GUARD_OFF, ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { app, membership, url: `http://127.0.0.1:${address.port}` };
}

describe('front with three ready workers', () => {
  let front: Awaited<ReturnType<typeof startFront>>;
  before(async () => {
    front = await startFront({ RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(() => front.app.close());

  test('GET /ws-endpoint names the hashed worker with a token for it and no caching', async () => {
    const answer = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.10' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const endpoint = answer.json<WsEndpoint>();
    const expected = front.membership.routingTable().select(clientKey('127.0.1.10')!);
    assert.equal(endpoint.workerId, expected);
    const worker = front.membership.get(expected!)!;
    assert.deepEqual({ url: endpoint.url, path: endpoint.path }, { url: `http://127.0.0.1:${worker.port}`, path: '/socket.io' });
    assert.equal(endpoint.expiresAt, NOW + 60_000);
    assert.deepEqual(verifyToken(endpoint.token, { secret, workerId: endpoint.workerId, now: NOW }), { ok: true, claims: { workerId: endpoint.workerId, expiresAt: NOW + 60_000 } });
  });

  test('the same address always gets the same answer; different addresses spread', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const address = `127.0.2.${i + 1}`;
      const first = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: address })).json<WsEndpoint>().workerId;
      const second = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: address })).json<WsEndpoint>().workerId;
      assert.equal(second, first);
      seen.add(first);
    }
    assert.equal(seen.size, 3);
  });

  test('?avoid= skips that worker for one answer', async () => {
    const usual = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.11' })).json<WsEndpoint>().workerId;
    const other = (await httpGet(`${front.url}/ws-endpoint?avoid=${usual}`, { localAddress: '127.0.1.11' })).json<WsEndpoint>().workerId;
    assert.notEqual(other, usual);
    const unknown = (await httpGet(`${front.url}/ws-endpoint?avoid=w99`, { localAddress: '127.0.1.11' })).json<WsEndpoint>().workerId;
    assert.equal(unknown, usual);
    const third = (await httpGet(`${front.url}/ws-endpoint?avoid=${usual},${other}`, { localAddress: '127.0.1.11' })).json<WsEndpoint>().workerId;
    assert.ok(third !== usual && third !== other, 'a list skips every worker in it');
  });

  test('a malformed avoid gets a 400 with a stable code', async () => {
    for (const bad of ['%3Cscript%3E', 'a'.repeat(100), 'w1%2Fx', 'w1,w2,w3,w4,w5', 'w1,', ',w1', 'w1,,w2']) {
      const answer = await httpGet(`${front.url}/ws-endpoint?avoid=${bad}`, { localAddress: '127.0.1.12' });
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.json<{ code: string }>().code, 'BAD_REQUEST');
    }
  });

  test('X-Forwarded-For is ignored when no proxy is trusted', async () => {
    const plain = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.13' })).json<WsEndpoint>().workerId;
    for (let i = 1; i <= 10; i++) {
      const spoofed = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.13', headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      assert.equal(spoofed.json<WsEndpoint>().workerId, plain);
    }
  });

  test('the page embeds the endpoint as inert JSON and sends security headers', async () => {
    const answer = await httpGet(`${front.url}/`, { localAddress: '127.0.1.14' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const match = /<script id="ws-endpoint" type="application\/json">([^<]*)<\/script>/.exec(answer.body);
    assert.ok(match, 'embedded endpoint');
    const embedded = JSON.parse(match[1]!) as WsEndpoint;
    const resolved = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.14' })).json<WsEndpoint>();
    assert.equal(embedded.workerId, resolved.workerId);
    assert.match(answer.body, /<body data-state="connecting" data-worker-id="">/);
    const csp = String(answer.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    // Any port of the worker host: a worker that respawns on a new port stays reachable from this page.
    assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:\* ws:\/\/127\.0\.0\.1:\*(;|$)/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'plain-http deployments must reach http:// workers');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['x-frame-options'], 'SAMEORIGIN');
  });

  test('a hostile Host header never reaches the page or the answer', async () => {
    const answer = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.15', headers: { host: 'evil"></script><script>alert(1)</script>' } });
    assert.equal(answer.status, 200);
    assert.match(answer.json<WsEndpoint>().url, /^http:\/\/127\.0\.0\.1:400[0-2]$/);
    const page = await httpGet(`${front.url}/`, { localAddress: '127.0.1.15', headers: { host: 'x</script><b>' } });
    assert.ok(!page.body.includes('<b>'));
  });

  test('the page scripts are served, bundled with socket.io-client; nothing else from node_modules', async () => {
    const app = await httpGet(`${front.url}/client/app.js`);
    assert.equal(app.status, 200);
    assert.match(String(app.headers['content-type']), /javascript/);
    assert.doesNotMatch(app.body, /from\s*["'](socket\.io-client|\.\/vendor)/, 'no import left for the browser to resolve');
    assert.equal((await httpGet(`${front.url}/client/status.js`)).status, 200);
    assert.equal((await httpGet(`${front.url}/client/vendor/socket.io.esm.min.js`)).status, 404);
    assert.equal((await httpGet(`${front.url}/client/routed-socket.js`)).status, 404);
    assert.equal((await httpGet(`${front.url}/client/../../package.json`)).status, 404);
    assert.equal((await httpGet(`${front.url}/client/%2e%2e/%2e%2e/package.json`)).status, 404);
    assert.equal((await httpGet(`${front.url}/style.css`)).status, 200);
    const missing = await httpGet(`${front.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ code: string }>().code, 'NOT_FOUND');
  });

  test('/healthz and /status.json follow membership', async () => {
    assert.deepEqual((await httpGet(`${front.url}/healthz`)).json(), { status: 'ok', workers: { healthy: 3, total: 3 } });
    front.membership.upsert(worker(2, 'unhealthy'));
    assert.deepEqual((await httpGet(`${front.url}/healthz`)).json(), { status: 'degraded', workers: { healthy: 2, total: 3 } });
    const status = (await httpGet(`${front.url}/status.json`)).json<{ list: { id: string; state: string }[] }>();
    assert.deepEqual(status.list.map((w) => [w.id, w.state]), [['w0', 'ready'], ['w1', 'ready'], ['w2', 'unhealthy']]);
    // An unhealthy worker is never handed out.
    for (let i = 1; i <= 40; i++) {
      assert.notEqual((await httpGet(`${front.url}/ws-endpoint`, { localAddress: `127.0.3.${i}` })).json<WsEndpoint>().workerId, 'w2');
    }
    front.membership.upsert(worker(2));
    const page = await httpGet(`${front.url}/status`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<svg/);
  });
});

describe('front edge cases', () => {
  const fronts: FastifyInstance[] = [];
  after(async () => {
    for (const app of fronts) await app.close();
  });

  test('no live worker: 503 NO_HEALTHY_WORKER, /healthz down, the page still renders', async () => {
    const front = await startFront({}, [worker(0, 'draining')]);
    fronts.push(front.app);
    const answer = await httpGet(`${front.url}/ws-endpoint`);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.deepEqual(answer.json(), { statusCode: 503, code: 'NO_HEALTHY_WORKER', error: 'NO_HEALTHY_WORKER', message: 'no healthy worker is available; retry shortly' });
    assert.equal((await httpGet(`${front.url}/healthz`)).status, 503);
    const page = await httpGet(`${front.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script id="ws-endpoint" type="application\/json">null<\/script>/);
  });

  test('probes: /livez answers while the process turns, /readyz needs a ready worker (a worker outage never fails liveness)', async () => {
    const down = await startFront({}, [worker(0, 'draining')]);
    fronts.push(down.app);
    assert.equal((await httpGet(`${down.url}/livez`)).status, 200);
    const notReady = await httpGet(`${down.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.json(), { status: 'not ready', workers: { healthy: 0, total: 1 } });
    const up = await startFront({}, [worker(0)]);
    fronts.push(up.app);
    assert.equal((await httpGet(`${up.url}/readyz`)).status, 200);
  });

  test('STATUS_FROM: /status and /status.json only for the listed peers, 403 STATUS_FORBIDDEN for others', async () => {
    const closed = await startFront({ STATUS_FROM: '10.0.0.0/8' });
    fronts.push(closed.app);
    for (const path of ['/status', '/status.json']) {
      const answer = await httpGet(`${closed.url}${path}`, { headers: { 'x-forwarded-for': '10.1.2.3' } });
      assert.equal(answer.status, 403, path);
      assert.equal(answer.json<{ code: string }>().code, 'STATUS_FORBIDDEN');
    }
    const open = await startFront({});
    fronts.push(open.app);
    assert.equal((await httpGet(`${open.url}/status.json`)).status, 200, 'loopback by default');
  });

  test('the only live worker is named even when avoided', async () => {
    const front = await startFront({}, [worker(0)]);
    fronts.push(front.app);
    assert.equal((await httpGet(`${front.url}/ws-endpoint?avoid=w0`)).json<WsEndpoint>().workerId, 'w0');
  });

  test('X-Forwarded-For is believed from a trusted proxy only, and keys the answer', async () => {
    const front = await startFront({ TRUST_PROXY: '127.0.0.1' });
    fronts.push(front.app);
    const table = front.membership.routingTable();
    for (let i = 1; i <= 20; i++) {
      const client = `198.51.100.${i}`;
      const viaProxy = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
      assert.equal(viaProxy.json<WsEndpoint>().workerId, table.select(clientKey(client)!));
      const notProxy = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.1.20', headers: { 'x-forwarded-for': client } });
      assert.equal(notProxy.json<WsEndpoint>().workerId, table.select(clientKey('127.0.1.20')!));
    }
    const junk = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.0.1', headers: { 'x-forwarded-for': 'not-an-ip' } });
    assert.equal(junk.status, 400);
    assert.equal(junk.json<{ code: string }>().code, 'BAD_CLIENT_ADDRESS');
  });

  test('the rate limit answers 429 RATE_LIMITED with Retry-After, per client', async () => {
    const front = await startFront({ RATE_LIMIT_PER_MINUTE: '5' });
    fronts.push(front.app);
    for (let i = 0; i < 5; i++) assert.equal((await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.4.1' })).status, 200);
    const limited = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.4.1' });
    assert.equal(limited.status, 429);
    assert.equal(limited.json<{ code: string }>().code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.4.2' })).status, 200, 'another client is not limited');
  });

  test('CORS on /ws-endpoint for the allowed origins only', async () => {
    const front = await startFront({ ALLOWED_ORIGINS: 'https://app.example.com' });
    fronts.push(front.app);
    const allowed = await httpGet(`${front.url}/ws-endpoint`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
    const refused = await httpGet(`${front.url}/ws-endpoint`, { headers: { origin: 'https://evil.example' } });
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });

  test('a path-routing proxy template puts the prefix in path, not url', async () => {
    const front = await startFront({ WORKER_PUBLIC_URL: 'https://rt.example.com/w/{index}' });
    fronts.push(front.app);
    const endpoint = (await httpGet(`${front.url}/ws-endpoint`)).json<WsEndpoint>();
    assert.equal(endpoint.url, 'https://rt.example.com');
    assert.equal(endpoint.path, `/w/${endpoint.workerId.slice(1)}/socket.io`);
  });

  test('an overloaded front turns requests away at once with 503 OVERLOADED and Retry-After, then recovers; /metrics and /healthz still answer', async () => {
    const front = await startFront({}, undefined, { loadGuard: { maxEventLoopDelayMs: 100, sampleIntervalMs: 100 } });
    fronts.push(front.app);
    const statusWithin = async (wanted: number, ms: number) => {
      let status = 0;
      for (const end = Date.now() + ms; status !== wanted && Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await httpGet(`${front.url}/ws-endpoint`)).status;
      }
      return status;
    };
    // Served normally first (the guard needs its first samples, and this machine may be busy).
    assert.equal(await statusWithin(200, 5000), 200);
    // A storm of work on this process's event loop: 250 ms busy chunks with a yield in between, so
    // requests are still read (and answered) while the loop is behind by more than the limit.
    const stormEnd = Date.now() + 3000;
    const storm = (async () => {
      while (Date.now() < stormEnd) {
        const chunkEnd = Date.now() + 250;
        while (Date.now() < chunkEnd) {
          // busy
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const answers: Awaited<ReturnType<typeof httpGet>>[] = [];
    const unguarded: string[] = [];
    while (Date.now() < stormEnd - 300) {
      answers.push(await httpGet(`${front.url}/ws-endpoint`));
      // In between, while the guard is turning /ws-endpoint away.
      for (const path of ['/metrics', '/healthz']) unguarded.push(`${path} ${(await httpGet(`${front.url}${path}`)).status}`);
    }
    await storm;
    assert.deepEqual(unguarded.filter((answer) => !answer.endsWith(' 200')), [], 'monitoring is never turned away');
    const turnedAway = answers.find((a) => a.status === 503);
    assert.ok(turnedAway, `no request was turned away during the storm: ${answers.map((a) => a.status).join(',')}`);
    assert.equal(turnedAway.json<{ code: string }>().code, 'OVERLOADED');
    assert.equal(turnedAway.headers['retry-after'], '2');
    assert.ok(answers.every((a) => a.status === 200 || a.status === 503));
    const status = await statusWithin(200, 5000);
    assert.equal(status, 200, 'back to normal once the loop keeps up');
  });
});
