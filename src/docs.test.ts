// The docs are the user-facing truth: docs/reference.md documents every setting, error code and
// admission code; README.md, the front door (at most 300 lines), gives the run and test commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMISSION_ERROR_CODES } from './protocol/wire.js';
import { SETTINGS } from './config/settings.js';
import { FRONT_ERRORS } from './front/errors.js';
import { PACKAGE_ROOT } from './paths.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const reference = readFileSync(join(PACKAGE_ROOT, 'docs', 'reference.md'), 'utf8');

test('every setting is in the settings table of docs/reference.md with its flag and default', () => {
  for (const spec of SETTINGS) {
    const row = reference.split('\n').find((line) => line.startsWith(`| \`${spec.env}\` |`));
    assert.ok(row, `docs/reference.md has no row for ${spec.env}`);
    assert.ok(row.includes(`\`${spec.flag}\``), `${spec.env} row lacks ${spec.flag}`);
    assert.ok(row.includes(spec.defaultText), `${spec.env} row lacks its default ${spec.defaultText}`);
  }
});

test('every front error code and admission code is documented in docs/reference.md', () => {
  for (const code of [...Object.keys(FRONT_ERRORS), ...ADMISSION_ERROR_CODES]) {
    assert.ok(reference.includes(`| \`${code}\` |`), `docs/reference.md does not document ${code}`);
  }
});

test('the README gives the run and test commands that package.json and CI use', () => {
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /^npm test/m);
  const ci = readFileSync(join(PACKAGE_ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /^npm test$/m);
});

test('the README stays a front door: at most 300 lines', () => {
  const lines = readme.trimEnd().split('\n').length;
  assert.ok(lines <= 300, `README.md has ${lines} lines; move the detail to docs/`);
});
