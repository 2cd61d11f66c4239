// `sioroute k8s` and `sioroute systemd-unit`: print deployment files generated from the same
// settings the services run with (src/deploy/). A bad option or setting exits 2 with one line.
import { renderKubernetes } from '../deploy/k8s-manifests.js';
import { DeployOptionError } from '../deploy/deploy-option-error.js';
import { renderSystemdUnit } from '../deploy/systemd-unit.js';
import { EXIT_CONFIG, fail, loadConfigOrExit, refuseExtraArguments, type RawCommandLine } from './cli-support.js';

/** The generators' option names, as flags. */
const FLAGS: Record<string, string> = {
  publicHost: '--public-host', namespace: '--namespace', image: '--image', frontReplicas: '--front-replicas',
  execPath: '--exec-path', user: '--user', environmentFile: '--environment-file',
};

function printOrExit(raw: RawCommandLine, render: () => string): void {
  let text: string;
  try {
    text = render();
  } catch (error) {
    if (!(error instanceof DeployOptionError)) throw error;
    const name = error.kind === 'option' ? (FLAGS[error.option] ?? error.option) : (raw.sources[error.option] ?? error.option);
    fail(EXIT_CONFIG, `invalid ${error.kind} ${name}=${JSON.stringify(error.value)}: ${error.expected}`);
  }
  process.stdout.write(text);
}

const text = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

export function runKubernetesCommand(raw: RawCommandLine): void {
  refuseExtraArguments(raw, 'k8s');
  const config = loadConfigOrExit(raw);
  const replicas = text(raw.extras['front-replicas']);
  const publicHost = text(raw.extras['public-host']);
  if (publicHost === undefined) fail(EXIT_CONFIG, 'missing option --public-host: expected the public host name browsers use, e.g. --public-host rt.example.com');
  printOrExit(raw, () =>
    renderKubernetes(config, {
      publicHost,
      ...(text(raw.extras.namespace) !== undefined ? { namespace: text(raw.extras.namespace)! } : {}),
      ...(text(raw.extras.image) !== undefined ? { image: text(raw.extras.image)! } : {}),
      ...(replicas !== undefined ? { frontReplicas: /^[0-9]+$/.test(replicas) ? Number(replicas) : Number.NaN } : {}),
    }),
  );
}

export function runSystemdUnitCommand(raw: RawCommandLine): void {
  refuseExtraArguments(raw, 'systemd-unit');
  const config = loadConfigOrExit(raw, 'start');
  printOrExit(raw, () =>
    renderSystemdUnit(config, {
      ...(text(raw.extras['exec-path']) !== undefined ? { execPath: text(raw.extras['exec-path'])! } : {}),
      ...(text(raw.extras.user) !== undefined ? { user: text(raw.extras.user)! } : {}),
      ...(text(raw.extras['environment-file']) !== undefined ? { environmentFile: text(raw.extras['environment-file'])! } : {}),
      given: Object.keys(raw.values),
    }),
  );
}
