import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mac, signToken, verifyToken } from './token.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const now = 1_800_000_000_000;
const token = signToken({ workerId: 'w1', expiresAt: now + 60_000 }, secret);

test('a valid token is accepted by its worker before it expires', () => {
  const check = verifyToken(token, { secret, workerId: 'w1', now });
  assert.deepEqual(check, { ok: true, claims: { workerId: 'w1', expiresAt: now + 60_000 } });
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'base64url, two parts');
});

test('missing, malformed and forged tokens are refused with the right code', () => {
  const code = (t: unknown, opts: Partial<{ secret: string; workerId: string; now: number }> = {}) => {
    const result = verifyToken(t, { secret, workerId: 'w1', now, ...opts });
    return result.ok ? 'OK' : result.code;
  };
  assert.equal(code(undefined), 'TOKEN_MISSING');
  assert.equal(code(null), 'TOKEN_MISSING');
  assert.equal(code(''), 'TOKEN_MISSING');
  assert.equal(code(42), 'TOKEN_INVALID');
  assert.equal(code({ token }), 'TOKEN_INVALID');
  assert.equal(code('garbage'), 'TOKEN_INVALID');
  assert.equal(code('a.b.c'), 'TOKEN_INVALID');
  assert.equal(code(`${token}x`), 'TOKEN_INVALID');
  assert.equal(code('x'.repeat(10_000)), 'TOKEN_INVALID');
  assert.equal(code(token, { secret: `${secret}-other` }), 'TOKEN_INVALID');
  // A forged body with the original signature: the signature no longer matches.
  const [, sig] = token.split('.');
  const forgedBody = Buffer.from(`v1.w1.${now + 10 ** 9}`).toString('base64url');
  assert.equal(code(`${forgedBody}.${sig}`), 'TOKEN_INVALID');
});

test('checks run in order: signature, then expiry, then worker id', () => {
  const late = now + 60_001;
  assert.equal((verifyToken(token, { secret, workerId: 'w1', now: late }) as { code: string }).code, 'TOKEN_EXPIRED');
  assert.equal((verifyToken(token, { secret, workerId: 'w2', now }) as { code: string }).code, 'TOKEN_WRONG_WORKER');
  // Expired and for another worker: expiry is reported first.
  assert.equal((verifyToken(token, { secret, workerId: 'w2', now: late }) as { code: string }).code, 'TOKEN_EXPIRED');
  // Forged, expired and for another worker: the forgery is reported, nothing else.
  assert.equal((verifyToken(token, { secret: 'another-secret-another-secret-xx', workerId: 'w2', now: late }) as { code: string }).code, 'TOKEN_INVALID');
});

test('the token is exactly valid until expiresAt', () => {
  assert.equal(verifyToken(token, { secret, workerId: 'w1', now: now + 60_000 }).ok, true);
  assert.equal(verifyToken(token, { secret, workerId: 'w1', now: now + 60_001 }).ok, false);
});

test('signing refuses ids that could break the format', () => {
  assert.throws(() => signToken({ workerId: 'a.b', expiresAt: now }, secret));
  assert.throws(() => signToken({ workerId: '', expiresAt: now }, secret));
  assert.throws(() => signToken({ workerId: 'w1', expiresAt: 1.5 }, secret));
});

test('the MAC is standard HMAC-SHA256, for short and long keys', () => {
  for (const key of [secret, 'k'.repeat(64), 'k'.repeat(65), 'k'.repeat(200), Buffer.from([0, 1, 2, 255])]) {
    for (const body of ['', 'v1.w1.123', 'x'.repeat(1000)]) {
      assert.deepEqual(mac(key, body), createHmac('sha256', key).update(body).digest());
    }
  }
});
