// The options of `renderKubernetes` (src/deploy/k8s-manifests.ts), their defaults, and the checks
// that turn a bad one into a DeployOptionError naming the option, the value and what is expected.
// The settings themselves come from the Config; only what a Kubernetes install adds is here.
import type { Config } from '../config/settings.js';
import { DeployOptionError } from './deploy-option-error.js';

export interface KubernetesOptions {
  /** Public host name of the Ingress; browsers reach worker N at https://<publicHost>/w/N. */
  readonly publicHost: string;
  /** Namespace of every object. @default 'sioroute' */
  readonly namespace?: string;
  /** Image with sioroute at /app (deploy/Dockerfile). @default 'sioroute:latest' */
  readonly image?: string;
  /** Replicas of the front Deployment (stateless: any number give the same answers). @default 2 */
  readonly frontReplicas?: number;
}

export const DEFAULT_K8S_NAMESPACE = 'sioroute';
export const DEFAULT_K8S_IMAGE = 'sioroute:latest';
export const DEFAULT_FRONT_REPLICAS = 2;
export const MAX_FRONT_REPLICAS = 100;

export type ResolvedKubernetesOptions = Required<KubernetesOptions>;

// RFC 1123 label (namespaces), and a lower-case DNS name of such labels (Ingress hosts).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
// registry[:port]/path[:tag][@sha256:digest], lower-case repository as registries require.
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function check(ok: boolean, option: string, value: unknown, expected: string): void {
  if (!ok) throw new DeployOptionError('option', option, String(value), expected);
}

/** The options with their defaults filled in, or a DeployOptionError for the first bad one. */
export function resolveKubernetesOptions(options: KubernetesOptions): ResolvedKubernetesOptions {
  const resolved = {
    publicHost: options.publicHost,
    namespace: options.namespace ?? DEFAULT_K8S_NAMESPACE,
    image: options.image ?? DEFAULT_K8S_IMAGE,
    frontReplicas: options.frontReplicas ?? DEFAULT_FRONT_REPLICAS,
  };
  check(typeof resolved.publicHost === 'string' && DNS_NAME.test(resolved.publicHost), 'publicHost', resolved.publicHost,
    'expected the lower-case DNS name browsers use, without scheme, port or path (e.g. rt.example.com)');
  check(DNS_LABEL.test(resolved.namespace), 'namespace', resolved.namespace,
    'expected a Kubernetes namespace name: 1 to 63 lower-case letters, digits and "-", starting and ending with a letter or digit');
  check(IMAGE.test(resolved.image), 'image', resolved.image, 'expected an image reference such as sioroute:latest or registry.example.com/sioroute:1.2.3');
  check(Number.isSafeInteger(resolved.frontReplicas) && resolved.frontReplicas >= 1 && resolved.frontReplicas <= MAX_FRONT_REPLICAS, 'frontReplicas', resolved.frontReplicas,
    `expected an integer from 1 to ${MAX_FRONT_REPLICAS}`);
  return resolved;
}

/** Settings that a Kubernetes install cannot run with, as a DeployOptionError naming the setting. */
export function checkKubernetesSettings(config: Config): void {
  const setting = (ok: boolean, env: string, value: unknown, expected: string) => {
    if (!ok) throw new DeployOptionError('setting', env, String(value), expected);
  };
  setting(config.port !== 0, 'PORT', config.port, 'expected a fixed front port: Services and probes name it');
  setting(config.workerBasePort !== 0, 'WORKER_BASE_PORT', config.workerBasePort, 'expected a fixed worker port: every worker pod listens on it');
  // Pod N is started with base WORKER_BASE_PORT - N (see k8s-manifests.ts): the CLI's checks then
  // see the ports base-N .. base-N+WORKERS-1, which must stay valid and clear of PORT.
  const low = config.workerBasePort - config.workers + 1;
  setting(low >= 1, 'WORKER_BASE_PORT', config.workerBasePort, `expected at least WORKERS (${config.workers}): pod N is started with base WORKER_BASE_PORT - N`);
  setting(config.port < low || config.port > config.workerBasePort + config.workers - 1, 'PORT', config.port,
    `expected a front port outside ${low}-${config.workerBasePort + config.workers - 1} (pod N is started with base WORKER_BASE_PORT - N, and its ports must not include PORT)`);
  setting(!config.singlePort, 'SINGLE_PORT', config.singlePort, 'expected false: on Kubernetes fronts and workers run as separate pods behind the Ingress');
  setting(config.workerUrls.length === 0, 'WORKER_URLS', config.workerUrls.join(','), 'expected it unset: on Kubernetes fronts find the workers in Redis');
}
