// Hostile input on a worker's port: every case gets a clear refusal (an HTTP status, a closed
// connection, a connect_error code) and harms nobody else. One real worker on port 0 serves every
// case, with a healthy WebSocket client and a healthy polling client connected throughout; each test
// ends by checking that they, a newcomer and /healthz still get their answers.
// 200 half-open connections are opened first and stay pending while the other cases run; the last
// test checks that the worker's own headersTimeout (10 s) dropped them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket as NetSocket } from 'node:net';
import { pino } from 'pino';
import WebSocket from 'ws';
import { signToken } from '../routing/token.js';
import { connectTo, errorCode, httpGet, openSocket, type DemoSocket } from '../testing/clients.js';
import { createWorkerServer, type WorkerServer } from './create-worker-server.js';
import { register } from './demo-handlers.js';
import type { RegisterHandlers } from './worker-context.js';

const secret = 'hostile-worker-secret-hostile-worker-secret';
const HALF_OPEN_PARTIAL = 180;
const HALF_OPEN_SILENT = 20;
/** The worker's default message cap (README: 100 kB). */
const MAX_MESSAGE = 100_000;

/** Every wait is bounded: a case that never ends fails with its name instead of hanging the run. */
function within<T>(promise: Promise<T>, label: string, ms = 8000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: nothing happened within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface RawResult {
  data: string;
  closed: boolean;
}

/** Write bytes on a fresh TCP connection; collect what comes back until the server closes or `waitMs` passes. */
function rawExchange(port: number, bytes: string | Buffer, waitMs = 3000): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.9.9' });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, closed: false });
    }, waitMs);
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    socket.write(bytes);
  });
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function noise(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function httpPost(url: string, body: string): Promise<{ status: number | 'reset'; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, localAddress: '127.0.9.10' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may answer 413 and drop the connection while the body is still being written.
    req.on('error', () => resolve({ status: 'reset', body: '' }));
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** Resolve with how a socket.io client ends: connected, refused (with its code), or dropped. */
function outcome(socket: DemoSocket, waitMs = 5000): Promise<{ kind: 'connected' | 'refused' | 'dropped' | 'nothing'; code?: string; reason?: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'nothing' }), waitMs);
    const done = (value: { kind: 'connected' | 'refused' | 'dropped'; code?: string; reason?: string }) => {
      clearTimeout(timer);
      resolve(value);
    };
    socket.once('connect', () => done({ kind: 'connected' }));
    // socket.io-client closes its manager ('forced close') before emitting connect_error: only a
    // close for another reason means the transport was dropped.
    socket.once('connect_error', (error) => done({ kind: 'refused', code: errorCode(error) ?? error.message }));
    socket.io.once('close', (reason: string) => {
      if (reason !== 'forced close') done({ kind: 'dropped', reason });
    });
  });
}

describe('a worker under hostile input', () => {
  /** Every line the worker logs, at its most verbose level. */
  const logLines: string[] = [];
  const issued: string[] = [];
  let server: WorkerServer;
  let port: number;
  let url: string;
  /** Added to the worker's clock, to age tokens without waiting. */
  let skewMs = 0;
  let wsBystander: DemoSocket;
  let pollBystander: DemoSocket;
  const bystanderLosses: string[] = [];
  let newcomers = 0;
  const halfOpen: { socket: NetSocket; data: string; closedAt: number | undefined; partial: boolean }[] = [];
  let halfOpenAt = 0;

  const token = (workerId = 'w0', ttlMs = 60_000) => {
    const t = signToken({ workerId, expiresAt: Date.now() + ttlMs }, secret);
    issued.push(t);
    return t;
  };
  const endpoint = (t = token()) => ({ url, path: '/socket.io', token: t });

  /**
   * A raw polling session with its long-poll GET already waiting on the worker, as a real client
   * keeps one: when the session ends, that GET carries the close packet (otherwise engine.io arms
   * a 30 s close timer that would hold this process open).
   */
  async function rawPollingSession(localAddress: string): Promise<{ sid: string; poll: Promise<{ status: number; body: string }> }> {
    const handshake = await httpGet(`${url}/socket.io/?EIO=4&transport=polling`, { localAddress });
    const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
    const poll = httpGet(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { localAddress });
    const engineClients = (server.io.engine as unknown as { clients: Record<string, { transport: { writable: boolean } }> }).clients;
    for (let i = 0; i < 100 && !engineClients[sid]?.transport.writable; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(engineClients[sid]?.transport.writable, true, 'the long-poll GET is waiting');
    return { sid, poll };
  }

  /** The check every test ends with: nobody else noticed. */
  async function othersStillWork(label: string): Promise<void> {
    assert.equal(server.http.listening, true, `${label}: the worker still listens`);
    assert.deepEqual(bystanderLosses, [], `${label}: no healthy client was disconnected`);
    assert.equal(await wsBystander.timeout(5000).emitWithAck('echo', `ws after ${label}`), `ws after ${label}`);
    assert.equal(await pollBystander.timeout(5000).emitWithAck('echo', `polling after ${label}`), `polling after ${label}`);
    const newcomer = await within(connectTo(endpoint(), { localAddress: `127.0.8.${10 + (newcomers++ % 200)}` }), `${label}: a newcomer connects`);
    assert.equal((await newcomer.timeout(5000).emitWithAck('whoami')).workerId, 'w0');
    newcomer.close();
    assert.equal((await httpGet(`${url}/healthz`, { localAddress: '127.0.8.3' })).status, 200);
  }

  before(async () => {
    server = createWorkerServer({
      workerId: 'w0', index: 0, host: '127.0.0.1', port: 0, secret,
      allowedOrigins: ['https://app.example.com'], frontPort: 8080,
      logger: pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) }),
      register: register as unknown as RegisterHandlers,
      now: () => Date.now() + skewMs,
    });
    // Node enforces headersTimeout when it sweeps its connections, every 30 s by default: sweep
    // more often so the last test sees the worker's own 10 s limit act within a second of it.
    (server.http as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 250;
    port = await server.start();
    url = `http://127.0.0.1:${port}`;
    wsBystander = await within(connectTo(endpoint(), { localAddress: '127.0.8.1', transports: ['websocket'] }), 'bystander');
    pollBystander = await within(connectTo(endpoint(), { localAddress: '127.0.8.2', transports: ['polling'] }), 'bystander');
    for (const [name, socket] of [['websocket', wsBystander], ['polling', pollBystander]] as const) {
      socket.on('disconnect', (reason) => bystanderLosses.push(`${name}: ${reason}`));
    }

    halfOpenAt = Date.now();
    const opened: Promise<unknown>[] = [];
    for (let i = 0; i < HALF_OPEN_PARTIAL + HALF_OPEN_SILENT; i++) {
      const partial = i < HALF_OPEN_PARTIAL;
      const socket = connect({ port, host: '127.0.0.1', localAddress: `127.0.10.${1 + (i % 250)}` });
      const entry = { socket, data: '', closedAt: undefined as number | undefined, partial };
      socket.on('data', (chunk) => (entry.data += chunk.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => (entry.closedAt = Date.now()));
      // Part of a request line, then nothing: neither a request nor a closed connection.
      if (partial) socket.once('connect', () => socket.write('GET /socket.io/?EIO=4&transport=pol'));
      opened.push(once(socket, 'connect'));
      halfOpen.push(entry);
    }
    await within(Promise.all(opened), 'half-open connections open');
  });

  after(async () => {
    for (const entry of halfOpen) entry.socket.destroy();
    const sessions = server?.clientCount() ?? 0;
    wsBystander?.close();
    pollBystander?.close();
    // Let the worker see the bystanders leave: closing it with a polling session whose client is
    // gone arms engine.io's 30 s close timer, which would hold this process open.
    for (let i = 0; i < 40 && server?.clientCount() > sessions - 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await server?.close();
  });

  test(`${HALF_OPEN_PARTIAL + HALF_OPEN_SILENT} half-open connections do not block anyone`, async () => {
    await othersStillWork('half-open');
    const echoes = await Promise.all(Array.from({ length: 10 }, (_, i) => wsBystander.timeout(5000).emitWithAck('echo', i)));
    assert.deepEqual(echoes, Array.from({ length: 10 }, (_, i) => i));
    assert.equal(halfOpen.filter((h) => h.closedAt !== undefined).length, 0, 'the half-open connections are still pending: they really were held while others worked');
  });

  test('garbage bytes get 400 and a closed connection', async () => {
    const cases: [string, string | Buffer][] = [
      ['4 kB of random binary', noise(4096)],
      ['a line that is not HTTP', 'hello there, this is not HTTP\r\n\r\n'],
      ['a header line without a colon', 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n'],
      ['a NUL byte in a header value', 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
      ['Content-Length with Transfer-Encoding (smuggling)', 'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['an absurd method', 'BREW /socket.io/ HTTP/1.1\r\nHost: x\r\n\r\n'],
    ];
    for (const [name, bytes] of cases) {
      const result = await rawExchange(port, bytes);
      assert.match(result.data, /^HTTP\/1\.1 400 Bad Request\r\n/, name);
      assert.equal(result.closed, true, `${name}: connection closed`);
    }
    await othersStillWork('garbage bytes');
  });

  test('an oversized message drops its sender, over WebSocket and over polling', async () => {
    const big = 'x'.repeat(MAX_MESSAGE + 50_000);
    for (const transport of ['websocket', 'polling'] as const) {
      const offender = await within(connectTo(endpoint(), { localAddress: '127.0.9.2', transports: [transport] }), transport);
      const sid = offender.io.engine.id;
      const dropped = once(offender as unknown as NodeJS.EventEmitter, 'disconnect');
      let answered = false;
      offender.emit('echo', big, () => (answered = true));
      const [reason] = (await within(dropped, `${transport}: the sender is dropped`)) as [string];
      assert.equal(answered, false, `${transport}: an oversized message was answered`);
      assert.match(reason, /^transport (close|error)$/, transport);
      // The session is gone on the worker too.
      const poll = await httpGet(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { localAddress: '127.0.9.2' });
      assert.equal(poll.status, 400, transport);
      assert.deepEqual(poll.json(), { code: 1, message: 'Session ID unknown' });
      offender.close();
    }

    // Raw: a polling POST over the cap is refused with 413 (or cut off) and ends the session;
    // a WebSocket frame over the cap is closed with 1009 (message too big).
    const session = await rawPollingSession('127.0.9.3');
    const post = await httpPost(`${url}/socket.io/?EIO=4&transport=polling&sid=${session.sid}`, `4${big}`);
    assert.ok(post.status === 413 || post.status === 'reset', `POST answered ${post.status}`);
    assert.match((await within(session.poll, 'close packet')).body, /1$/, 'the waiting GET carries the close packet');
    assert.equal((await httpGet(`${url}/socket.io/?EIO=4&transport=polling&sid=${session.sid}`, { localAddress: '127.0.9.3' })).status, 400);

    const raw = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { localAddress: '127.0.9.4' });
    raw.on('error', () => {});
    await within(once(raw, 'open'), 'raw WebSocket opens');
    raw.send(big);
    const [code] = (await within(once(raw, 'close'), 'an oversized frame closes the WebSocket')) as [number];
    assert.equal(code, 1009);
    await othersStillWork('oversized messages');
  });

  test('malformed engine.io and socket.io packets close only that connection', async () => {
    const connectPacket = `40${JSON.stringify({ token: token() })}`;
    const cases: [string, (string | Buffer)[]][] = [
      ['not an engine.io packet', ['garbage']],
      ['an unknown engine.io packet type', ['9hello']],
      ['a socket.io packet of an unknown type', ['4garbage']],
      ['an event with broken JSON', [connectPacket, '42["echo"']],
      ['an event that is not an array', [connectPacket, '42{"a":1}']],
      ['a binary frame nobody announced', [Buffer.from([1, 2, 3, 4])]],
      ['a binary event whose attachments never match', [connectPacket, '45-["echo",{"_placeholder":true,"num":0}]']],
    ];
    for (const [name, frames] of cases) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { localAddress: '127.0.9.5' });
      ws.on('error', () => {});
      await within(once(ws, 'open'), name);
      const closed = once(ws, 'close');
      for (const frame of frames) ws.send(frame);
      await within(closed, `${name}: the connection is closed`, 3000);
      ws.terminate();
    }

    // The same over polling: the POST is accepted, the session is closed (the waiting GET gets the
    // close packet) and its sid is unknown from then on.
    for (const body of ['garbage', '4garbage', '42["echo"', '42{"a":1}']) {
      const session = await rawPollingSession('127.0.9.6');
      const post = await httpPost(`${url}/socket.io/?EIO=4&transport=polling&sid=${session.sid}`, body);
      assert.equal(post.status, 200, body);
      assert.match((await within(session.poll, body)).body, /1$/, `${body}: close packet`);
      assert.equal((await httpGet(`${url}/socket.io/?EIO=4&transport=polling&sid=${session.sid}`, { localAddress: '127.0.9.6' })).status, 400, body);
    }
    await othersStillWork('malformed packets');
  });

  test('bogus session ids and handshakes get engine.io errors', async () => {
    const get = async (query: string) => {
      const answer = await httpGet(`${url}/socket.io/?${query}`, { localAddress: '127.0.9.7' });
      return [answer.status, answer.json()];
    };
    const unknown = [400, { code: 1, message: 'Session ID unknown' }];
    assert.deepEqual(await get('EIO=4&transport=polling&sid=bogus'), unknown);
    assert.deepEqual(await get(`EIO=4&transport=polling&sid=${'a'.repeat(5000)}`), unknown);
    assert.deepEqual(await get('EIO=4&transport=polling&sid=__proto__'), unknown);
    assert.deepEqual(await get('EIO=4&transport=polling&sid=%00'), unknown);
    assert.deepEqual(await get('EIO=3&transport=polling'), [400, { code: 5, message: 'Unsupported protocol version' }]);
    assert.deepEqual(await get('EIO=4&transport=carrier-pigeon'), [400, { code: 0, message: 'Transport unknown' }]);
    const post = await httpPost(`${url}/socket.io/?EIO=4&transport=polling&sid=bogus`, '42["echo","x"]');
    assert.equal(post.status, 400);

    // A WebSocket upgrade naming a session that does not exist is refused.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&sid=bogus`, { localAddress: '127.0.9.7' });
    ws.on('error', () => {});
    const [, res] = (await within(once(ws, 'unexpected-response'), 'bogus sid upgrade')) as [unknown, { statusCode: number }];
    assert.equal(res.statusCode, 400);
    ws.terminate();
    await othersStillWork('bogus sids');
  });

  test('WebSocket and polling handshakes from another Origin are refused', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:8080.evil.example', 'http://127.0.0.1:9999', 'file://', 'javascript:alert(1)']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { origin, localAddress: '127.0.9.8' });
      ws.on('error', () => {});
      const [, res] = (await within(once(ws, 'unexpected-response'), origin)) as [unknown, NodeJS.ReadableStream & { statusCode: number }];
      let body = '';
      for await (const chunk of res) body += String(chunk);
      assert.equal(res.statusCode, 400, origin);
      assert.equal(body, 'origin not allowed', origin);
      ws.terminate();
      const polling = await httpGet(`${url}/socket.io/?EIO=4&transport=polling`, { localAddress: '127.0.9.8', headers: { origin } });
      assert.equal(polling.status, 403, origin);
      assert.equal(polling.headers['access-control-allow-origin'], undefined, origin);
    }
    await othersStillWork('bad origins');
  });

  test('forged, expired, wrong-worker, huge and non-string tokens are refused with their code', async () => {
    const good = token();
    const [body, mac] = good.split('.') as [string, string];
    const pushedExpiry = Buffer.from(`v1.w0.${Date.now() + 86_400_000}`).toString('base64url');
    const cases: [string, unknown, string][] = [
      ['signed with another secret', signToken({ workerId: 'w0', expiresAt: Date.now() + 60_000 }, `${secret}-forged`), 'TOKEN_INVALID'],
      ['expiry pushed, MAC kept', `${pushedExpiry}.${mac}`, 'TOKEN_INVALID'],
      ['MAC truncated', `${body}.${mac.slice(0, 20)}`, 'TOKEN_INVALID'],
      ['MAC missing', `${body}.`, 'TOKEN_INVALID'],
      ['body missing', `.${mac}`, 'TOKEN_INVALID'],
      ['one extra character', `${good}x`, 'TOKEN_INVALID'],
      ['a leading space', ` ${good}`, 'TOKEN_INVALID'],
      ['forged and expired: reported as forged', signToken({ workerId: 'w0', expiresAt: Date.now() - 1000 }, `${secret}-forged`), 'TOKEN_INVALID'],
      ['expired', signToken({ workerId: 'w0', expiresAt: Date.now() - 1000 }, secret), 'TOKEN_EXPIRED'],
      ['for another worker', token('w1'), 'TOKEN_WRONG_WORKER'],
      ['10 kB string', 'x'.repeat(10_000), 'TOKEN_INVALID'],
      ['a number', 12345, 'TOKEN_INVALID'],
      ['zero', 0, 'TOKEN_INVALID'],
      ['true', true, 'TOKEN_INVALID'],
      ['an object', { token: good }, 'TOKEN_INVALID'],
      ['an array', [good], 'TOKEN_INVALID'],
      ['null', null, 'TOKEN_MISSING'],
      ['the empty string', '', 'TOKEN_MISSING'],
    ];
    for (const [name, value, code] of cases) {
      for (const transport of ['websocket', 'polling'] as const) {
        // connectTo maps token null to "no token at all"; pass any other value through auth as is.
        const socket = openSocket(endpoint(), { localAddress: '127.0.9.11', transports: [transport], token: value === null ? null : (value as string) });
        const result = await outcome(socket);
        socket.close();
        assert.deepEqual(result, { kind: 'refused', code }, `${name} over ${transport}`);
      }
    }

    // A token bigger than the message cap never reaches admission: the transport is dropped.
    const huge = openSocket(endpoint(), { localAddress: '127.0.9.12', transports: ['websocket'], token: 'x'.repeat(MAX_MESSAGE + 10_000) });
    const result = await outcome(huge);
    huge.close();
    assert.equal(result.kind, 'dropped');
    await othersStillWork('bad tokens');
  });

  test('a replayed token is accepted by many connections until it expires (documented in SECURITY.md)', async () => {
    const shared = token('w0', 30_000);
    const sockets: DemoSocket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        sockets.push(await within(connectTo(endpoint(shared), { localAddress: `127.0.11.${i + 1}`, transports: [i % 2 ? 'polling' : 'websocket'] }), `replay ${i}`));
      }
      const whoami = await Promise.all(sockets.map((s) => s.timeout(5000).emitWithAck('whoami')));
      assert.deepEqual(new Set(whoami.map((w) => w.address)).size, 20, 'twenty clients from twenty addresses share one token');
      // Past its expiry the same token is refused; the sessions it opened stay (admission is per connection).
      skewMs = 31_000;
      const late = openSocket(endpoint(shared), { localAddress: '127.0.11.100' });
      const result = await outcome(late);
      late.close();
      assert.deepEqual(result, { kind: 'refused', code: 'TOKEN_EXPIRED' });
      assert.equal(await sockets[0]!.timeout(5000).emitWithAck('echo', 'still admitted'), 'still admitted');
    } finally {
      skewMs = 0;
      for (const s of sockets) s.close();
    }
    await othersStillWork('replayed token');
  });

  test('the half-open connections are dropped after the 10 s headers limit, with 408 for those that sent something', async () => {
    // The limit is timed per socket; Node's own headersTimeout, 1 s later, is only the backstop.
    const limitMs = 10_000;
    assert.equal(server.http.headersTimeout, limitMs + 1000);
    assert.equal(server.http.requestTimeout, 30_000);
    const deadline = halfOpenAt + limitMs + 5000;
    while (halfOpen.some((h) => h.closedAt === undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pending = halfOpen.filter((h) => h.closedAt === undefined).length;
    assert.equal(pending, 0, `${pending} half-open connections still open ${Date.now() - halfOpenAt} ms after they were opened`);
    for (const h of halfOpen) {
      // Not before the limit: it is the timeout that ends them, nothing else.
      assert.ok(h.closedAt! - halfOpenAt >= limitMs - 1000, `closed after ${h.closedAt! - halfOpenAt} ms`);
    }
    // Those that sent part of a request line are answered 408 before the close, every one of them.
    const partial = halfOpen.filter((h) => h.partial);
    assert.ok(partial.length > 0, 'no partial half-open connection to check');
    assert.equal(partial.length, HALF_OPEN_PARTIAL);
    for (const [i, h] of partial.entries()) {
      assert.match(h.data, /^HTTP\/1\.1 408 Request Timeout\r\n/, `partial connection ${i} got ${JSON.stringify(h.data.slice(0, 80))}`);
    }
    await othersStillWork('headers timeout');
  });

  test('the log at trace level holds no client address, token or secret after all of the above', () => {
    assert.ok(logLines.length > 0, 'the worker logged something (it says where it listens)');
    assert.ok(issued.length > 20);
    for (const line of logLines) {
      assert.ok(!/127\.0\.(8|9|10|11)\.\d/.test(line), `a client address in the log: ${line}`);
      assert.ok(!line.includes(secret), 'the secret in the log');
      for (const t of issued) assert.ok(!line.includes(t.split('.')[1]!), 'a token in the log');
    }
  });
});
