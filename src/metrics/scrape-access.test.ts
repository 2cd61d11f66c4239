import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScrapeAccess } from './scrape-access.js';

test('the default allows loopback peers only, IPv4-mapped ones included', () => {
  const allowed = createScrapeAccess(['127.0.0.0/8', '::1']);
  for (const peer of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) assert.equal(allowed(peer), true, peer);
  for (const peer of ['10.0.0.1', '::2', '::ffff:10.0.0.1', '192.168.1.1', '', 'localhost', undefined]) assert.equal(allowed(peer), false, String(peer));
});

test('addresses, CIDRs and range names', () => {
  const allowed = createScrapeAccess(['10.1.2.3', '192.168.0.0/16', 'fd00::/8', 'linklocal']);
  assert.equal(allowed('10.1.2.3'), true);
  assert.equal(allowed('10.1.2.4'), false);
  assert.equal(allowed('192.168.77.1'), true);
  assert.equal(allowed('fd12::1'), true);
  assert.equal(allowed('fe80::1'), true);
  assert.equal(allowed('169.254.1.1'), true);
  assert.equal(allowed('127.0.0.1'), false);
});

test('an empty list allows nobody', () => {
  const allowed = createScrapeAccess([]);
  assert.equal(allowed('127.0.0.1'), false);
  assert.equal(allowed('::1'), false);
});
