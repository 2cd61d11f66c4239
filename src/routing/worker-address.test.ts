import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWorkerUrlTemplate, DEFAULT_WORKER_PUBLIC_URL, workerAddress, workerSource } from './worker-address.js';

const values = { id: 'w2', index: 2, port: 3133, hostname: '127.0.0.1', protocol: 'http' };

test('the default template gives the worker origin and the plain socket.io path', () => {
  assert.deepEqual(workerAddress(DEFAULT_WORKER_PUBLIC_URL, values), { url: 'http://127.0.0.1:3133', path: '/socket.io' });
});

test('a path prefix goes into path, never into url', () => {
  assert.deepEqual(workerAddress('https://rt.example.com/w/{index}', values), { url: 'https://rt.example.com', path: '/w/2/socket.io' });
  assert.deepEqual(workerAddress('https://rt.example.com/{id}/', values), { url: 'https://rt.example.com', path: '/w2/socket.io' });
  assert.deepEqual(workerAddress('https://{hostname}:443/x', values), { url: 'https://127.0.0.1', path: '/x/socket.io' });
});

test('bad templates are explained', () => {
  assert.equal(checkWorkerUrlTemplate(DEFAULT_WORKER_PUBLIC_URL), undefined);
  assert.equal(checkWorkerUrlTemplate('http://127.0.0.1:8088/w/{index}'), undefined);
  assert.match(checkWorkerUrlTemplate('http://x/{nope}')!, /placeholders/);
  assert.match(checkWorkerUrlTemplate('ftp://x/{index}')!, /http/);
  assert.match(checkWorkerUrlTemplate('not a url')!, /URL template/);
  assert.match(checkWorkerUrlTemplate('http://x/?a={index}')!, /query/);
});

test('the CSP source of a worker slot covers any port it may get', () => {
  const slot = { id: 'w2', index: 2, hostname: '127.0.0.1', protocol: 'http' };
  assert.equal(workerSource(DEFAULT_WORKER_PUBLIC_URL, slot), 'http://127.0.0.1:*');
  assert.equal(workerSource('https://rt.example.com/w/{index}', slot), 'https://rt.example.com');
  assert.equal(workerSource('https://{id}.RT.example.com:8443/', slot), 'https://w2.rt.example.com:8443');
});
