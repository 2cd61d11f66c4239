// Routing tokens: the front signs "this client may connect to worker W until time T"; the worker
// checks it at admission. Pure: the secret and the clock come from the caller.
//
// Format: base64url("v1.<workerId>.<expiresAtMs>") + "." + base64url(HMAC-SHA256(secret, first part)).
// The MAC covers the encoded text itself, so there is no canonicalization to get wrong.
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import type { AdmissionErrorCode } from '../protocol/wire.js';

export interface TokenClaims {
  readonly workerId: string;
  /** Unix epoch milliseconds. */
  readonly expiresAt: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; code: AdmissionErrorCode; message: string };

const VERSION = 'v1';
/** Tokens longer than this are refused before any work is done on them. */
export const TOKEN_MAX_LENGTH = 512;
const WORKER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// HMAC-SHA256 with the key's inner and outer pads hashed once per secret: each token then costs
// two copies of a prepared hash state instead of a new HMAC key schedule. Same bytes as createHmac.
const BLOCK = 64;
const prepared = new Map<string, { inner: Hash; outer: Hash }>();

function padsFor(secret: string | Uint8Array): { inner: Hash; outer: Hash } {
  const id = typeof secret === 'string' ? `s:${secret}` : `b:${Buffer.from(secret).toString('base64')}`;
  let pads = prepared.get(id);
  if (pads === undefined) {
    let key = Buffer.from(secret);
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    const padded = Buffer.alloc(BLOCK);
    key.copy(padded);
    const ipad = Buffer.from(padded.map((b) => b ^ 0x36));
    const opad = Buffer.from(padded.map((b) => b ^ 0x5c));
    pads = { inner: createHash('sha256').update(ipad), outer: createHash('sha256').update(opad) };
    // A process holds one or two secrets; the bound only guards against misuse.
    if (prepared.size > 16) prepared.clear();
    prepared.set(id, pads);
  }
  return pads;
}

export function mac(secret: string | Uint8Array, body: string): Buffer {
  const { inner, outer } = padsFor(secret);
  return outer.copy().update(inner.copy().update(body).digest()).digest();
}

export function signToken(claims: TokenClaims, secret: string | Uint8Array): string {
  if (!WORKER_ID_PATTERN.test(claims.workerId)) throw new RangeError(`invalid worker id for a token: ${claims.workerId}`);
  if (!Number.isSafeInteger(claims.expiresAt)) throw new RangeError('token expiry must be an integer (epoch ms)');
  const body = Buffer.from(`${VERSION}.${claims.workerId}.${claims.expiresAt}`).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/**
 * Check a token presented to worker `workerId` at time `now` (epoch ms).
 * Order matters: signature, then expiry, then worker id, so a forged token is never reported as
 * expired or as meant for another worker.
 */
export function verifyToken(token: unknown, options: { secret: string | Uint8Array; workerId: string; now: number }): TokenCheck {
  if (token === undefined || token === null || token === '') {
    return { ok: false, code: 'TOKEN_MISSING', message: 'no routing token: fetch one from the front (GET /ws-endpoint) and pass it as auth.token' };
  }
  const invalid = { ok: false, code: 'TOKEN_INVALID', message: 'the routing token is not valid: fetch a new one from the front' } as const;
  if (typeof token !== 'string' || token.length > TOKEN_MAX_LENGTH) return invalid;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return invalid;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(options.secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;

  const fields = Buffer.from(body, 'base64url').toString('utf8').split('.');
  const [version, workerId, expiry] = fields;
  const expiresAt = Number(expiry);
  if (fields.length !== 3 || version !== VERSION || !workerId || !Number.isSafeInteger(expiresAt)) return invalid;
  if (options.now > expiresAt) {
    return { ok: false, code: 'TOKEN_EXPIRED', message: 'the routing token has expired: fetch a new one from the front' };
  }
  if (workerId !== options.workerId) {
    return {
      ok: false,
      code: 'TOKEN_WRONG_WORKER',
      message: `the routing token is for worker ${workerId}, not ${options.workerId}: fetch a new endpoint from the front`,
    };
  }
  return { ok: true, claims: { workerId, expiresAt } };
}
