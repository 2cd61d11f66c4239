import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProxyTrust, PROXY_TRUST_MEMO_MAX } from './proxy-trust.js';

test('proxy trust answers as TRUST_PROXY says, the first time and from memory', () => {
  const trust = createProxyTrust(['10.0.0.0/8', '192.0.2.7', 'loopback']);
  for (let round = 0; round < 2; round++) {
    assert.equal(trust('10.1.2.3', 0), true);
    assert.equal(trust('192.0.2.7', 0), true);
    assert.equal(trust('192.0.2.8', 0), false);
    assert.equal(trust('127.0.0.1', 1), true);
    assert.equal(trust('::1', 0), true);
    assert.equal(trust('::ffff:10.9.9.9', 0), true);
    assert.equal(trust('203.0.113.1', 0), false);
    assert.equal(trust('not an address', 0), false);
  }
});

test('proxy trust stays right when clients fill its memory with addresses', () => {
  const trust = createProxyTrust(['192.0.2.0/24']);
  for (let i = 0; i < PROXY_TRUST_MEMO_MAX * 2 + 10; i++) {
    assert.equal(trust(`198.51.${(i >> 8) & 255}.${i & 255}`, 1), false);
    if (i % 1000 === 0) assert.equal(trust(`192.0.2.${i % 250}`, 0), true);
  }
});
