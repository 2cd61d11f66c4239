// Hostile input on the front: every case gets a small JSON answer with a stable code (or the
// resource it names, never anything else), no 5xx and no stack trace, and the front keeps answering
// everyone else. Real fronts on port 0; raw TCP where an HTTP client would clean the request up
// (Node's http client normalises `%2e%2e` and refuses NUL bytes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { WsEndpoint } from '../protocol/wire.js';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import { Membership } from '../registry/membership.js';
import { manualMembership } from '../registry/membership-source.js';
import { clientKey } from '../routing/client-key.js';
import { httpGet } from '../testing/clients.js';
import { buildFrontApp, type FrontOptions } from './build-front-app.js';
import { LOAD_GUARD_OFF } from './load-guard.js';
import { FRONT_ERRORS } from './errors.js';

const secret = 'hostile-front-secret-hostile-front-secret';
const NOW = 1_800_000_000_000;
const INJECTED = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

function worker(index: number) {
  return { id: `w${index}`, index, port: 4000 + index, pid: 100 + index, state: 'ready' as const, weight: 1, clients: 0, startedAt: NOW, lastSeenAt: NOW };
}

/** A pino logger at its most verbose level that keeps every line, to check what the front logs. */
function memoryLog() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }) };
}

interface Front {
  app: FastifyInstance;
  membership: Membership;
  port: number;
  url: string;
}

async function startFront(env: Record<string, string>, extra: Partial<FrontOptions> = {}): Promise<Front> {
  const membership = new Membership();
  membership.replace([worker(0), worker(1), worker(2)]);
  const config = loadConfig(readRawSettings({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', ALLOWED_ORIGINS: 'https://app.example.com', ...env }, []));
  const app = await buildFrontApp({ config, membership: manualMembership({ membership }), secret, logger: pino({ level: 'silent' }), now: () => NOW, loadGuard: LOAD_GUARD_OFF, ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, membership, port, url: `http://127.0.0.1:${port}` };
}

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  closed: boolean;
}

/** Send exact bytes; read until the server closes (or `waitMs`). */
function raw(port: number, bytes: string | Buffer, options: { localAddress?: string; waitMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress ?? '127.0.6.99' });
    let data = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      const split = data.indexOf('\r\n\r\n');
      const headers = split === -1 ? data : data.slice(0, split);
      let body = split === -1 ? '' : data.slice(split + 4);
      if (/\r\ntransfer-encoding: chunked/i.test(headers)) body = dechunk(body);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), headers, body, closed });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish(false);
    }, options.waitMs ?? 5000);
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (let i = 0; i < 1000; i++) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) break;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return out;
}

/** A request with Connection: close, so the answer ends with the connection. */
const get = (path: string, headers: Record<string, string> = {}) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`;

/** Every answer the tests saw, checked once more at the end: no 5xx, no stack trace, no path. */
const seen: { label: string; status: number; body: string }[] = [];
function note<T extends { status: number; body: string }>(label: string, answer: T): T {
  seen.push({ label, status: answer.status, body: answer.body });
  return answer;
}

/** A JSON error in the front's shape with this code (and its status from FRONT_ERRORS unless given). */
function assertError(label: string, answer: { status: number; body: string }, code: keyof typeof FRONT_ERRORS, status: number = FRONT_ERRORS[code].statusCode): void {
  note(label, answer);
  assert.equal(answer.status, status, `${label}: status`);
  let body: { statusCode?: unknown; code?: unknown; error?: unknown; message?: unknown };
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    assert.fail(`${label}: the body is not JSON: ${JSON.stringify(answer.body.slice(0, 200))}`);
  }
  assert.deepEqual({ statusCode: body.statusCode, code: body.code, error: body.error }, { statusCode: status, code, error: code }, label);
  assert.equal(typeof body.message, 'string', `${label}: a message`);
}

const embeddedEndpoint = (page: string): unknown => {
  const match = /<script id="ws-endpoint" type="application\/json">([^<]*)<\/script>/.exec(page);
  assert.ok(match, 'the page embeds the endpoint');
  return JSON.parse(match[1]!) as unknown;
};

/** The page must not carry injected markup; its embedded JSON must parse and name a worker. */
function assertCleanPage(label: string, answer: { status: number; body: string; headers?: unknown }, csp?: string): void {
  note(label, answer);
  assert.equal(answer.status, 200, label);
  for (const fragment of ['<script>alert', '<img', 'onerror', 'alert(', 'script-src *']) {
    assert.ok(!answer.body.includes(fragment), `${label}: the page contains ${fragment}`);
    if (csp !== undefined) assert.ok(!csp.includes(fragment), `${label}: the CSP contains ${fragment}`);
  }
  assert.equal(answer.body.match(/<script/g)?.length, 2, `${label}: exactly the page's own two script tags`);
  const endpoint = embeddedEndpoint(answer.body) as WsEndpoint;
  assert.match(endpoint.workerId, /^w[0-2]$/, label);
}

describe('a front under hostile input (no proxy trusted)', () => {
  let front: Front;
  let expectedWorker: string | undefined;
  const log = memoryLog();
  const tokens: string[] = [];

  /** Another client, on another address, still gets its answer; the front still listens. */
  async function othersStillWork(label: string): Promise<void> {
    assert.equal(front.app.server.listening, true, `${label}: the front still listens`);
    const answer = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.6.200' });
    assert.equal(answer.status, 200, `${label}: /ws-endpoint for another client`);
    tokens.push(answer.json<WsEndpoint>().token);
    expectedWorker ??= front.membership.routingTable().select(clientKey('127.0.6.200')!);
    assert.equal(answer.json<WsEndpoint>().workerId, expectedWorker, label);
    assert.equal((await httpGet(`${front.url}/healthz`, { localAddress: '127.0.6.201' })).status, 200, `${label}: /healthz`);
  }

  before(async () => {
    front = await startFront({}, { logger: log.logger });
  });
  after(() => front.app.close());

  test('X-Forwarded-For from an untrusted peer is ignored, whatever it holds', async () => {
    const plain = (await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.6.1' })).json<WsEndpoint>().workerId;
    const values = [
      'garbage', '<script>', '1.2.3.4', '2001:db8::1', '[2001:db8::1]:443', '1.2.3.4:80', ',,,', '',
      Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', '),
      'x'.repeat(9000),
    ];
    for (const value of values) {
      const answer = note(`xff ${value.slice(0, 20)}`, await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.6.1', headers: { 'x-forwarded-for': value } }));
      assert.equal(answer.status, 200, value.slice(0, 40));
      assert.equal(answer.json<WsEndpoint>().workerId, plain, `${value.slice(0, 40)}: keyed by the peer address`);
    }
    // Over Node's 16 kB header limit: 431 in the front's shape, and the connection is closed.
    const huge = await raw(front.port, get('/ws-endpoint', { 'X-Forwarded-For': '1'.repeat(20_000) }));
    assertError('20 kB X-Forwarded-For', huge, 'HEADERS_TOO_LARGE');
    assert.equal(huge.closed, true);
    await othersStillWork('X-Forwarded-For');
  });

  test('odd and huge query strings: 400 BAD_REQUEST for a bad avoid, ignored elsewhere, 431 past 16 kB', async () => {
    const bad = ['avoid=w1&avoid=w2', 'avoid=', 'avoid=%E2%98%83', 'avoid=w1%00', 'avoid=%ff', `avoid=${'a'.repeat(9000)}`, 'avoid=w1%2F..%2F', `avoid=${encodeURIComponent(INJECTED)}`];
    for (const query of bad) {
      assertError(`?${query.slice(0, 30)}`, await httpGet(`${front.url}/ws-endpoint?${query}`, { localAddress: '127.0.6.2' }), 'BAD_REQUEST');
    }
    // Keys the route does not know are ignored: `avoid[]=` is not `avoid` (no qs-style parsing).
    const ignored = ['avoid[]=w1', 'avoid[]=', 'avoid[a]=1', '__proto__=1&constructor[prototype][x]=1', `x=${'b'.repeat(9000)}`, 'a=1&'.repeat(1500), '%', '&&&=&='];
    for (const query of ignored) {
      const answer = note(`?${query.slice(0, 30)}`, await httpGet(`${front.url}/ws-endpoint?${query}`, { localAddress: '127.0.6.2' }));
      assert.equal(answer.status, 200, query.slice(0, 40));
      assert.match(answer.json<WsEndpoint>().workerId, /^w[0-2]$/);
    }
    assert.equal(({} as Record<string, unknown>).x, undefined, 'no prototype pollution');
    for (const path of ['/ws-endpoint', '/']) {
      const huge = await raw(front.port, get(`${path}?x=${'c'.repeat(20_000)}`));
      assertError(`20 kB query on ${path}`, huge, 'HEADERS_TOO_LARGE');
    }
    await othersStillWork('query strings');
  });

  test('path traversal on static files gets 404 NOT_FOUND (or 400 for an unparsable request line)', async () => {
    const notFound = [
      '/../package.json', '/%2e%2e/package.json', '/%2E%2E/%2E%2E/etc/passwd', '/client/../../package.json',
      '/client/%2e%2e/%2e%2e/package.json', '/client/..%2f..%2fpackage.json', '/client/%2e%2e%2f%2e%2e%2fpackage.json',
      '/client\\..\\..\\package.json', '/client/..\\..\\package.json', '/%5c..%5cpackage.json', '/%2e%2e%5c%2e%2e%5cpackage.json',
      '/style.css%00', '/style.css%00.js', '/client/app.js%00', '/client/vendor/socket.io.esm.min.js%00',
      '/client/vendor/socket.io.js', '/client/vendor/socket.io.min.js', '/client/vendor/socket.io.msgpack.min.js',
      '/client/vendor/%2e%2e/app.js', '/client/vendor/..%2fsocket.io.js', '/client/vendor/socket.io.esm.min.js/../socket.io.js',
      '/client/vendor/', '/client/vendor', '/client/', '/client/app.ts', '//etc/passwd', '/.env', '/views/index.eta', '/dist/src/cli.js',
    ];
    for (const path of notFound) {
      const answer = await raw(front.port, get(path));
      assertError(path, answer, 'NOT_FOUND');
      assert.doesNotMatch(answer.body, /"name"\s*:\s*"sioroute"|root:/, `${path}: no file content`);
    }
    // Bytes Node's parser refuses outright.
    for (const path of ['/\0', '/client/app.js\0', '../package.json', 'package.json']) {
      assertError(JSON.stringify(path), await raw(front.port, get(path)), 'BAD_REQUEST');
    }
    // The files that are meant to be served still are.
    for (const path of ['/style.css', '/client/app.js', '/client/status.js']) {
      assert.equal(note(path, await raw(front.port, get(path))).status, 200, path);
    }
    await othersStillWork('path traversal');
  });

  test('markup in the query or the Host header never reaches the page unescaped', async () => {
    const queries = [
      `x=${encodeURIComponent(INJECTED)}`,
      `transports=${encodeURIComponent(INJECTED)}`,
      `avoid=${encodeURIComponent(INJECTED)}`,
      `${encodeURIComponent(INJECTED)}=1`,
      `x=${encodeURIComponent('\u2028\u2029<!--')}`,
    ];
    for (const query of queries) {
      const page = await httpGet(`${front.url}/?${query}`, { localAddress: '127.0.6.3' });
      assertCleanPage(`/?${query.slice(0, 30)}`, page, String(page.headers['content-security-policy']));
      assert.ok(!page.body.includes('<!--'), 'no comment opened');
    }
    for (const host of [`x${INJECTED}`, `"><script>alert(1)</script>`, 'evil.example:80"><img src=x onerror=alert(1)>', 'a b', "x';script-src *"]) {
      const page = await httpGet(`${front.url}/`, { localAddress: '127.0.6.3', headers: { host } });
      const csp = String(page.headers['content-security-policy']);
      assertCleanPage(`Host ${host}`, page, csp);
      assert.doesNotMatch(csp, /script-src \*/);
      const endpoint = embeddedEndpoint(page.body) as WsEndpoint;
      // fastify reads the host name up to the first colon; anything that is not a host name falls back to the bind address.
      assert.match(endpoint.url, /^http:\/\/(127\.0\.0\.1|evil\.example):400[0-2]$/, host);
    }
    await othersStillWork('markup injection');
  });

  test('other methods, bodies and preflights get JSON errors; a body over 1 kB gets 413', async () => {
    const small = '{"a":1}';
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/', '/ws-endpoint', '/healthz', '/status.json']) {
        const request = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\nConnection: close\r\n\r\n${small}`;
        assertError(`${method} ${path}`, await raw(front.port, request), 'NOT_FOUND');
      }
    }
    const big = JSON.stringify({ a: 'x'.repeat(2000) });
    const overLimit = [
      `POST /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`,
      `PUT / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`,
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    ];
    for (const request of overLimit) assertError(request.slice(0, 20), await raw(front.port, request), 'PAYLOAD_TOO_LARGE');
    const broken = `POST /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":`;
    assertError('broken JSON body', await raw(front.port, broken), 'BAD_REQUEST');
    const form = `POST /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=1`;
    assertError('a form body', await raw(front.port, form), 'NOT_FOUND');
    // @fastify/cors alone would answer these with a text/plain 400.
    for (const path of ['/ws-endpoint', '/', '/nope']) {
      assertError(`OPTIONS ${path} without Origin`, await raw(front.port, `OPTIONS ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`), 'BAD_REQUEST');
    }
    const preflight = note('a real preflight', await raw(front.port, `OPTIONS /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n`));
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers, /\r\naccess-control-allow-origin: https:\/\/app\.example\.com\r\n/i);
    const evil = note('a preflight from elsewhere', await raw(front.port, `OPTIONS /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n`));
    assert.doesNotMatch(evil.headers, /access-control-allow-origin/i);
    await othersStillWork('methods and bodies');
  });

  test('garbage bytes get 400 BAD_REQUEST in the front shape and a closed connection', async () => {
    const cases: [string, string | Buffer][] = [
      ['random binary', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) & 0xff))],
      ['not HTTP', 'hello there\r\n\r\n'],
      ['a header without a colon', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBroken Header\r\n\r\n'],
      ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ];
    for (const [name, bytes] of cases) {
      const answer = await raw(front.port, bytes);
      assertError(name, answer, 'BAD_REQUEST');
      assert.equal(answer.closed, true, name);
    }
    await othersStillWork('garbage bytes');
  });

  test('the front limits slow clients: 10 s for headers (a timer per socket; Node\'s own check 1 s later as a backstop), 30 s for a whole request', () => {
    assert.equal(front.app.server.headersTimeout, 11_000);
    assert.equal(front.app.server.requestTimeout, 30_000);
  });

  test('no answer above was a 5xx or carried a stack trace or a file path', () => {
    assert.ok(seen.length >= 80, `${seen.length} answers checked`);
    for (const { label, status, body } of seen) {
      assert.ok(status > 0 && status < 500, `${label}: status ${status}`);
      assert.doesNotMatch(body, /\n\s+at |node:internal|\/work\/|node_modules|\.ts:\d+/, `${label}: leaks internals`);
    }
  });

  test('the log at trace level holds no client address, token or secret after all of the above', () => {
    assert.ok(log.lines.length > 0, 'the front logged something (it says where it listens)');
    assert.ok(tokens.length >= 3);
    for (const line of log.lines) {
      assert.ok(!/127\.0\.[67]\.\d/.test(line), `a client address in the log: ${line}`);
      assert.ok(!line.includes(secret), 'the secret in the log');
      for (const token of tokens) assert.ok(!line.includes(token) && !line.includes(token.split('.')[1]!), 'a token in the log');
    }
  });
});

describe('a front behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  let front: Front;
  before(async () => {
    front = await startFront({ TRUST_PROXY: '127.0.0.1' });
  });
  after(() => front.app.close());

  const viaProxy = (path: string, headers: Record<string, string>) => httpGet(`${front.url}${path}`, { localAddress: '127.0.0.1', headers });

  async function othersStillWork(label: string): Promise<void> {
    const answer = await viaProxy('/ws-endpoint', { 'x-forwarded-for': '203.0.113.77' });
    assert.equal(answer.status, 200, label);
    assert.equal(answer.json<WsEndpoint>().workerId, front.membership.routingTable().select(clientKey('203.0.113.77')!), label);
  }

  test('a malformed X-Forwarded-For gets 400 BAD_CLIENT_ADDRESS; many hops and IPv6 are keyed by the nearest untrusted hop', async () => {
    for (const value of ['garbage', '<script>alert(1)</script>', '[2001:db8::1]', '1.2.3.4:80', '999.1.1.1', '1.2.3.4 5.6.7.8', 'x'.repeat(9000)]) {
      assertError(`xff ${value.slice(0, 20)}`, await viaProxy('/ws-endpoint', { 'x-forwarded-for': value }), 'BAD_CLIENT_ADDRESS');
      assertError(`xff ${value.slice(0, 20)} on the page`, await viaProxy('/', { 'x-forwarded-for': value }), 'BAD_CLIENT_ADDRESS');
    }
    const table = front.membership.routingTable();
    const hops = Array.from({ length: 500 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const many = await viaProxy('/ws-endpoint', { 'x-forwarded-for': hops.join(', ') });
    assert.equal(many.json<WsEndpoint>().workerId, table.select(clientKey(hops.at(-1)!)!), 'the last (nearest) hop');
    const spoofedLeft = await viaProxy('/ws-endpoint', { 'x-forwarded-for': 'garbage, 198.51.100.9' });
    assert.equal(spoofedLeft.json<WsEndpoint>().workerId, table.select(clientKey('198.51.100.9')!), 'what a client wrote to the left of its proxy is not read');
    for (const v6 of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:eeee:dddd:cccc', '::ffff:198.51.100.10', 'fe80::1%eth0']) {
      const answer = await viaProxy('/ws-endpoint', { 'x-forwarded-for': v6 });
      assert.equal(answer.status, 200, v6);
      assert.equal(answer.json<WsEndpoint>().workerId, table.select(clientKey(v6)!), v6);
    }
    // A peer outside TRUST_PROXY cannot set the address at all.
    const outsider = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.6.50', headers: { 'x-forwarded-for': 'garbage' } });
    assert.equal(outsider.json<WsEndpoint>().workerId, table.select(clientKey('127.0.6.50')!));
    assertError('20 kB X-Forwarded-For', await raw(front.port, get('/ws-endpoint', { 'X-Forwarded-For': '2'.repeat(20_000) }), { localAddress: '127.0.0.1' }), 'HEADERS_TOO_LARGE');
    await othersStillWork('X-Forwarded-For');
  });

  test('X-Forwarded-Proto other than http/https gets 400 BAD_REQUEST (it was a 500)', async () => {
    for (const proto of ['javascript', 'ftp', 'a b', `"${INJECTED}`, 'http://evil', 'https:']) {
      assertError(`proto ${proto}`, await viaProxy('/ws-endpoint', { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': proto }), 'BAD_REQUEST');
      assertError(`proto ${proto} on the page`, await viaProxy('/', { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': proto }), 'BAD_REQUEST');
    }
    const https = await viaProxy('/ws-endpoint', { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'HTTPS' });
    assert.match(https.json<WsEndpoint>().url, /^https:\/\/127\.0\.0\.1:400[0-2]$/);
    await othersStillWork('X-Forwarded-Proto');
  });

  test('markup in X-Forwarded-Host never reaches the page; a valid one names the workers in the answer and the CSP alike', async () => {
    for (const host of [INJECTED, `"><script>alert(1)</script>`, 'a.example, <img src=x onerror=alert(1)>', "x';script-src *"]) {
      const page = await viaProxy('/', { 'x-forwarded-for': '198.51.100.2', 'x-forwarded-host': host });
      const csp = String(page.headers['content-security-policy']);
      assertCleanPage(`X-Forwarded-Host ${host}`, page, csp);
      assert.doesNotMatch(csp, /script-src \*/);
    }
    const page = await viaProxy('/', { 'x-forwarded-for': '198.51.100.2', 'x-forwarded-host': 'app.example.com', 'x-forwarded-proto': 'https' });
    assertCleanPage('a valid X-Forwarded-Host', page);
    assert.match((embeddedEndpoint(page.body) as WsEndpoint).url, /^https:\/\/app\.example\.com:400[0-2]$/);
    // The page may only connect where it is sent: before the fix the CSP named the raw Host (127.0.0.1).
    assert.match(String(page.headers['content-security-policy']), /connect-src 'self' https:\/\/app\.example\.com:\* wss:\/\/app\.example\.com:\*(;|$)/);
    await othersStillWork('X-Forwarded-Host');
  });
});

describe('a front with short timeouts, against slow clients', () => {
  let front: Front;
  before(async () => {
    front = await startFront({}, { headersTimeoutMs: 1000, requestTimeoutMs: 1500 });
  });
  after(() => front.app.close());

  test('half-open connections and slow bodies get 408 REQUEST_TIMEOUT and are closed; others are served meanwhile', async () => {
    const started = Date.now();
    const partial = Array.from({ length: 50 }, (_, i) => raw(front.port, 'GET /ws-endpoint HTTP/1.1\r\nHost: 127.0', { localAddress: `127.0.7.${i + 1}`, waitMs: 6000 }));
    // A body of 500 bytes announced, 10 sent: the request never completes.
    const slowBody = raw(front.port, 'POST /ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":"xxxx', { localAddress: '127.0.7.100', waitMs: 6000 });
    const meanwhile = await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.7.200' });
    assert.equal(meanwhile.status, 200, 'served while 51 slow connections are pending');
    for (const answer of await Promise.all(partial)) {
      assertError('half-open', answer, 'REQUEST_TIMEOUT');
      assert.equal(answer.closed, true);
    }
    // Its headers arrived, so the requestTimeout (not the headersTimeout) ends it: Node reports that
    // as a clientError, and the front's handler answers 408 REQUEST_TIMEOUT before closing, as it
    // does for the half-open ones.
    const body = await slowBody;
    assertError('slow body', body, 'REQUEST_TIMEOUT');
    assert.equal(body.closed, true, 'the slow body is cut off');
    assert.ok(Date.now() - started < 5000, `dropped within ${Date.now() - started} ms`);
    assert.equal((await httpGet(`${front.url}/ws-endpoint`, { localAddress: '127.0.7.201' })).status, 200);
  });
});
