// The generated files checked in under deploy/ and what each is generated from, so that a test can
// hold them equal to the generators' output and one command rewrites them after a change:
//   npm run build && node dist/src/deploy/deploy-samples.js
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import { PACKAGE_ROOT } from '../paths.js';
import { renderKubernetes } from './k8s-manifests.js';
import { renderSystemdUnit } from './systemd-unit.js';

export interface DeploySample {
  /** Relative to the package root. */
  readonly path: string;
  readonly render: () => string;
}

/** Default settings, apart from the ones named; never the environment this runs in. */
const settings = (env: Record<string, string>) => loadConfig(readRawSettings(env, []));

export const DEPLOY_SAMPLES: readonly DeploySample[] = [
  { path: 'deploy/kubernetes/sioroute.yaml', render: () => renderKubernetes(settings({ WORKERS: '4' }), { publicHost: 'sioroute.example.com' }) },
  { path: 'deploy/systemd/sioroute.service', render: () => renderSystemdUnit(settings({})) },
];

function writeSamples(): void {
  for (const sample of DEPLOY_SAMPLES) {
    const path = join(PACKAGE_ROOT, sample.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, sample.render());
    process.stdout.write(`wrote ${sample.path}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) writeSamples();
