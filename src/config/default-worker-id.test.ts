import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultWorkerId } from './command-settings.js';

test('the default worker id is the machine\'s short host name and the index, made safe', () => {
  assert.equal(defaultWorkerId(2, 'web-3.eu.example.com'), 'web-3-w2');
  assert.equal(defaultWorkerId(0, 'odd_name!'), 'oddname-w0');
  assert.equal(defaultWorkerId(1, '...'), 'host-w1');
});
