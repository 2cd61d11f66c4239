// The checked-in deploy/kubernetes/sioroute.yaml and deploy/systemd/sioroute.service are exactly
// what the generators print for the settings they were made from: they never drift from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { DEPLOY_SAMPLES } from './deploy-samples.js';

test('every checked-in deployment file equals its generator\'s output', () => {
  assert.deepEqual(DEPLOY_SAMPLES.map((s) => s.path), ['deploy/kubernetes/sioroute.yaml', 'deploy/systemd/sioroute.service']);
  for (const sample of DEPLOY_SAMPLES) {
    const shipped = readFileSync(join(PACKAGE_ROOT, sample.path), 'utf8');
    assert.equal(shipped, sample.render(), `${sample.path} drifted: run npm run build && node dist/src/deploy/deploy-samples.js`);
  }
});
