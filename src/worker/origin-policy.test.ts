import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOriginAllowed } from './origin-policy.js';

const policy = { allowedOrigins: ['https://app.example.com'], frontPort: 8080 };

test('the front\'s own origin on the host the browser used is allowed', () => {
  assert.ok(isOriginAllowed(policy, { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:3131' }));
  assert.ok(isOriginAllowed(policy, { origin: 'http://localhost:8080', host: 'localhost:3132' }));
  assert.ok(isOriginAllowed(policy, { origin: 'http://myhost.lan:8080', host: 'myhost.lan:3131' }));
});

test('one origin for front and workers (path-routing proxy) is allowed', () => {
  assert.ok(isOriginAllowed(policy, { origin: 'https://rt.example.com', host: 'rt.example.com' }));
  assert.ok(isOriginAllowed(policy, { origin: 'http://127.0.0.1:8088', host: '127.0.0.1:8088' }));
});

test('listed origins are allowed, others refused', () => {
  assert.ok(isOriginAllowed(policy, { origin: 'https://app.example.com', host: 'ws.example.com:3131' }));
  assert.ok(!isOriginAllowed(policy, { origin: 'https://evil.example', host: '127.0.0.1:3131' }));
  assert.ok(!isOriginAllowed(policy, { origin: 'http://127.0.0.1:9999', host: '127.0.0.1:3131' }));
  assert.ok(!isOriginAllowed(policy, { origin: 'http://localhost:8080', host: '127.0.0.1:3131' }));
  assert.ok(!isOriginAllowed(policy, { origin: 'null', host: '127.0.0.1:3131' }));
  assert.ok(!isOriginAllowed(policy, { origin: 'file://', host: '127.0.0.1:3131' }));
  assert.ok(!isOriginAllowed({ allowedOrigins: [], frontPort: undefined }, { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:3131' }));
});

test('requests without an Origin header (not from a page) are allowed', () => {
  assert.ok(isOriginAllowed(policy, { origin: undefined, host: '127.0.0.1:3131' }));
});
