import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import { clientKey, parseIPv4, parseIPv6 } from './client-key.js';

test('IPv4 keys are the /32 by default, and the prefix is configurable', () => {
  assert.equal(clientKey('203.0.113.7')!.text, '203.0.113.7/32');
  assert.equal(clientKey('203.0.113.7', { ipv4Prefix: 24, ipv6Prefix: 64 })!.text, '203.0.113.0/24');
  assert.equal(clientKey('203.0.113.7', { ipv4Prefix: 0, ipv6Prefix: 64 })!.text, '0.0.0.0/0');
  assert.notDeepEqual(clientKey('203.0.113.7')!.hash, clientKey('203.0.113.8')!.hash);
  assert.deepEqual(
    clientKey('203.0.113.7', { ipv4Prefix: 24, ipv6Prefix: 64 })!.hash,
    clientKey('203.0.113.200', { ipv4Prefix: 24, ipv6Prefix: 64 })!.hash,
  );
});

test('IPv4-mapped IPv6 is the IPv4 client', () => {
  for (const mapped of ['::ffff:203.0.113.7', '::ffff:cb00:7107', '0:0:0:0:0:ffff:203.0.113.7']) {
    const key = clientKey(mapped)!;
    assert.equal(key.text, '203.0.113.7/32', mapped);
    assert.deepEqual(key.hash, clientKey('203.0.113.7')!.hash);
  }
});

test('IPv6 clients are keyed by their /64 by default, and the prefix is configurable', () => {
  const a = clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')!;
  const b = clientKey('2001:db8:1:2::1')!;
  const c = clientKey('2001:db8:1:3::1')!;
  assert.equal(a.text, '2001:db8:1:2::/64');
  assert.deepEqual(a.hash, b.hash);
  assert.notDeepEqual(a.hash, c.hash);
  const wide = { ipv4Prefix: 32, ipv6Prefix: 48 };
  assert.deepEqual(clientKey('2001:db8:1:2::1', wide)!.hash, clientKey('2001:db8:1:3::1', wide)!.hash);
  assert.equal(clientKey('2001:db8::1', { ipv4Prefix: 32, ipv6Prefix: 128 })!.text, '2001:db8::1/128');
  assert.equal(clientKey('fe80::1%eth0')!.text, 'fe80::/64');
});

test('IPv4 and IPv6 keys never share a hash by construction', () => {
  assert.notDeepEqual(clientKey('0.0.0.1')!.hash, clientKey('::1', { ipv4Prefix: 32, ipv6Prefix: 128 })!.hash);
});

test('text that is not an IP address has no key', () => {
  for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::g', '1::2::3', '<script>', '1.2.3.4 ', ' ::1']) {
    assert.equal(clientKey(bad), undefined, JSON.stringify(bad));
  }
});

test('parseIPv6 expands every spelling to 8 groups', () => {
  assert.deepEqual(parseIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseIPv6('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseIPv6('1::'), [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(parseIPv6('1::ffff:1.2.3.4'), [1, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  assert.deepEqual(parseIPv6('::1.2.3.4'), [0, 0, 0, 0, 0, 0, 0x102, 0x304]);
});

test('parseIPv4 accepts exactly what net.isIPv4 accepts', () => {
  const samples = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '10.0.0.1', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.02.3.4', '1.2.3.00',
    '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.a', '1.2.3.1000', '0x1.2.3.4', '', '::1', '1.2.3.-4', '+1.2.3.4', '１.2.3.4'];
  // Plus every one- and two-character mutation of a few addresses.
  const alphabet = ['0', '1', '2', '5', '9', '.', 'a', ':', ' '];
  for (const base of ['192.168.10.255', '0.0.0.0', '9.99.199.249']) {
    for (let i = 0; i <= base.length; i++) {
      for (const c of alphabet) {
        samples.push(base.slice(0, i) + c + base.slice(i), base.slice(0, i) + c + base.slice(i + 1));
        if (i < base.length - 1) samples.push(base.slice(0, i) + c + c + base.slice(i + 2));
      }
    }
  }
  for (const text of samples) {
    const parsed = parseIPv4(text);
    assert.equal(parsed !== undefined, isIPv4(text), JSON.stringify(text));
    if (parsed !== undefined) assert.equal(parsed, text.split('.').reduce((v, o) => v * 256 + Number(o), 0), text);
  }
});

test('a key id is the same for one client and different for another, never crossing families', () => {
  assert.equal(clientKey('203.0.113.7')!.id, clientKey('::ffff:203.0.113.7')!.id);
  assert.equal(clientKey('203.0.113.7', { ipv4Prefix: 24, ipv6Prefix: 64 })!.id, clientKey('203.0.113.99', { ipv4Prefix: 24, ipv6Prefix: 64 })!.id);
  assert.notEqual(clientKey('203.0.113.7')!.id, clientKey('203.0.113.8')!.id);
  assert.equal(clientKey('2001:db8:1:2::1')!.id, clientKey('2001:db8:1:2::2')!.id);
  assert.equal(typeof clientKey('0.0.0.1')!.id, 'number');
  assert.equal(typeof clientKey('::1')!.id, 'string');
});
