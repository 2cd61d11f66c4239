import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonForScript } from './json-in-script.js';

test('no value can close the script tag or open a comment', () => {
  const hostile = { a: '</script><script>alert(1)</script>', b: '<!--', c: 'x\u2028y\u2029z', d: 'a&b>' };
  const text = jsonForScript(hostile);
  assert.ok(!/[<>&\u2028\u2029]/.test(text), text);
  assert.deepEqual(JSON.parse(text), hostile);
  assert.equal(jsonForScript(null), 'null');
  assert.equal(jsonForScript(undefined), 'null');
});
