// toYaml: what it writes reads back as the same data, by a YAML 1.2 reader and by a YAML 1.1 one
// (kubectl's), whatever the strings hold; comments stay comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { toYaml, yamlComment, type YamlValue } from './yaml-text.js';

const TRICKY = ['on', 'off', 'yes', 'No', 'Y', 'n', 'true', 'NULL', '~', '', ' ', '0755', '1e3', '0x1F', '12:30', '.inf', '-', '- x', 'a: b', 'a #b', '# c',
  '"q"', "'s'", '\\', 'tab\there', 'line\nbreak', '\u2028', 'ünïcødé', '{index}', '[1]', '*alias', '&anchor', '!tag', '%dir', '@at', '`tick`', '/w/0(/|$)(.*)', '$$((A - B))'];

const sample: YamlValue = {
  plain: 'sioroute-worker',
  path: '/livez',
  tricky: TRICKY,
  keys: Object.fromEntries(TRICKY.filter((k) => k !== '').map((k) => [k, k])),
  numbers: [0, 1, -2, 3.5, 65535],
  flags: [true, false, null],
  empty: { list: [], map: {} },
  nested: [[1, [2, { deep: ['x'] }]], { a: { b: { c: 'on' } } }, []],
};

test('strings, keys, numbers and nesting read back unchanged by YAML 1.2 and YAML 1.1 readers', () => {
  const text = toYaml(sample);
  assert.deepEqual(parse(text), sample);
  assert.deepEqual(parse(text, { version: '1.1' }), sample);
  assert.match(text, /^plain: sioroute-worker$/m, 'simple words stay plain');
  assert.match(text, /^path: \/livez$/m);
  assert.match(text, /^ {2}- "on"$/m, 'YAML 1.1 booleans are quoted');
  for (const top of [[], {}, ['a'], 'x', 1]) assert.deepEqual(parse(toYaml(top as YamlValue)), top);
});

test('numbers that YAML cannot hold are refused; comments comment every line', () => {
  assert.throws(() => toYaml({ n: Number.NaN }), /NaN is not a finite number/);
  assert.throws(() => toYaml([Infinity]), /Infinity is not a finite number/);
  assert.equal(yamlComment('a\n\nb: c'), '# a\n#\n# b: c');
  assert.equal(parse(`${yamlComment('x: 1\ny: 2')}\nz: 3\n`).x, undefined);
});
