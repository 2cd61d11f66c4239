// Kubernetes manifests for sioroute as separate services: fronts (a Deployment), N workers (a
// StatefulSet whose pod ordinal is the worker index, one Service per pod), Redis for membership and
// broadcast, and ingress-nginx Ingresses: `/` to the fronts, `/w/N/` to worker N with the prefix
// stripped (as deploy/nginx/sioroute.conf does). Pure: settings and options in, YAML text out.
//
//   renderKubernetes(config: Config, options: KubernetesOptions): string
//     options: { publicHost (required), namespace = 'sioroute', image = 'sioroute:latest', frontReplicas = 2 }
//     throws DeployOptionError naming the option (or setting), its value and what is expected.
//
// Worker ports: `sioroute worker` listens on WORKER_BASE_PORT + WORKER_INDEX, but a StatefulSet has
// one pod template, so its containerPort and probe ports cannot follow the index. Every worker pod
// listens on WORKER_BASE_PORT instead: the container starts the worker with base
// WORKER_BASE_PORT - WORKER_INDEX (shell arithmetic), so WORKER_INDEX keeps its meaning ({index},
// status, ordering) and WORKER_BASE_PORT + WORKER_INDEX is the same port in every pod.
import type { Config } from '../config/settings.js';
import { changedSettings, settingText, type SettingEnv } from './setting-values.js';
import { stopTimeoutSeconds } from './stop-timeout.js';
import { k8sHeader } from './k8s-header.js';
import { checkKubernetesSettings, resolveKubernetesOptions, type KubernetesOptions, type ResolvedKubernetesOptions } from './k8s-options.js';
import { toYaml, yamlComment, type YamlValue } from './yaml-text.js';

export type { KubernetesOptions } from './k8s-options.js';

export const K8S_NAMES = { front: 'sioroute-front', worker: 'sioroute-worker', redis: 'sioroute-redis', secret: 'sioroute', tls: 'sioroute-tls' } as const;
export const SECRET_KEYS = { routingSecret: 'routing-secret', redisUrl: 'redis-url' } as const;
/** Where deploy/Dockerfile installs the CLI. */
export const IMAGE_CLI_PATH = '/app/dist/src/cli.js';
/** The uid of the `node` user that deploy/Dockerfile runs as. */
export const IMAGE_UID = 1000;
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** Above socket.io's ping interval plus timeout (25 + 20 s), as in the nginx configuration. */
export const INGRESS_TIMEOUT_SECONDS = 75;
/** Fronts hold no sessions: they close at once. */
export const FRONT_GRACE_SECONDS = 10;
export const REDIS_PORT = 6379;
/** The ingress-nginx rewrite of /w/N(/|$)(.*): the worker sees the rest, /socket.io/... */
export const WORKER_REWRITE_TARGET = '/$2';

export const workerPodName = (index: number) => `${K8S_NAMES.worker}-${index}`;
export const workerServiceName = (index: number) => `${K8S_NAMES.worker}-${index}`;
export const workerIngressPath = (index: number) => `/w/${index}(/|$)(.*)`;

/** The shell line that makes every worker pod listen on WORKER_BASE_PORT ($$ is Kubernetes' escape for $). */
export const WORKER_START = `exec node ${IMAGE_CLI_PATH} worker --worker-base-port "$$((WORKER_BASE_PORT - WORKER_INDEX))"`;

type Env = { name: SettingEnv; value: string } | { name: SettingEnv; valueFrom: YamlValue };

const labels = (component: string) => ({ 'app.kubernetes.io/name': 'sioroute', 'app.kubernetes.io/component': component });

function metadata(o: ResolvedKubernetesOptions, name: string, component: string, extra: Record<string, YamlValue> = {}) {
  return { name, namespace: o.namespace, labels: labels(component), ...extra };
}

const fromSecret = (name: SettingEnv, key: string): Env => ({ name, valueFrom: { secretKeyRef: { name: K8S_NAMES.secret, key } } });
const fromField = (name: SettingEnv, fieldPath: string): Env => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const literal = (name: SettingEnv, value: string | number): Env => ({ name, value: String(value) });

function probes(port: number) {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port }, periodSeconds, timeoutSeconds: 2, failureThreshold });
  // /livez: the event loop turns (restart otherwise). /readyz: it can serve (out of the Service otherwise).
  return { livenessProbe: { ...probe('/livez', 10, 3), initialDelaySeconds: 5 }, readinessProbe: probe('/readyz', 5, 2) };
}

const containerSecurity = { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: IMAGE_UID, capabilities: { drop: ['ALL'] } };

/** Environment common to fronts and workers: bind address, Redis, the shared secret. */
function sharedEnv(config: Config): Env[] {
  return [
    literal('HOST', '0.0.0.0'),
    config.redisUrl === undefined ? literal('REDIS_URL', `redis://${K8S_NAMES.redis}:${REDIS_PORT}`) : fromSecret('REDIS_URL', SECRET_KEYS.redisUrl),
    fromSecret('ROUTING_SECRET', SECRET_KEYS.routingSecret),
  ];
}

function workerObjects(config: Config, o: ResolvedKubernetesOptions): YamlValue[] {
  const port = config.workerBasePort;
  const selector = labels('worker');
  const env: Env[] = [
    fromField('WORKER_INDEX', `metadata.labels['${POD_INDEX_LABEL}']`),
    fromField('WORKER_ID', 'metadata.name'),
    ...sharedEnv(config),
    literal('PORT', config.port),
    literal('WORKERS', config.workers),
    literal('WORKER_BASE_PORT', port),
    literal('WORKER_PUBLIC_URL', `https://${o.publicHost}/w/{index}`),
    literal('DRAIN_SECONDS', config.drainSeconds),
    ...changedSettings(config, ['TOKEN_TTL_SECONDS', 'ALLOWED_ORIGINS', 'LOG_LEVEL', 'HANDLERS', 'WORKER_WEIGHT', 'METRICS_FROM']).map(([n, v]) => literal(n, v)),
  ];
  const headless = {
    apiVersion: 'v1', kind: 'Service', metadata: metadata(o, K8S_NAMES.worker, 'worker'),
    spec: { clusterIP: 'None', selector, ports: [{ name: 'http', port, targetPort: port }] },
  };
  const statefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: metadata(o, K8S_NAMES.worker, 'worker'),
    spec: {
      serviceName: K8S_NAMES.worker, replicas: config.workers, podManagementPolicy: 'Parallel',
      // One pod at a time, each drained before its replacement starts.
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          terminationGracePeriodSeconds: stopTimeoutSeconds(config),
          enableServiceLinks: false,
          containers: [{
            name: 'worker', image: o.image, command: ['/bin/sh', '-c', WORKER_START],
            ports: [{ name: 'http', containerPort: port }], env, ...probes(port),
            resources: { requests: { cpu: '250m', memory: '256Mi' } }, securityContext: containerSecurity,
          }],
        },
      },
    },
  };
  const budget = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: metadata(o, K8S_NAMES.worker, 'worker'),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
  const perWorker = Array.from({ length: config.workers }, (_, index) => ({
    apiVersion: 'v1', kind: 'Service', metadata: metadata(o, workerServiceName(index), 'worker'),
    spec: { selector: { ...selector, 'statefulset.kubernetes.io/pod-name': workerPodName(index) }, ports: [{ name: 'http', port, targetPort: port }] },
  }));
  return [headless, statefulSet, budget, ...perWorker];
}

function frontObjects(config: Config, o: ResolvedKubernetesOptions): YamlValue[] {
  const port = config.port;
  const selector = labels('front');
  const env: Env[] = [
    ...sharedEnv(config),
    literal('PORT', port),
    // The Ingress controller's pods connect from the cluster's private addresses.
    literal('TRUST_PROXY', config.trustProxy.length > 0 ? settingText(config, 'TRUST_PROXY')! : 'uniquelocal'),
    ...changedSettings(config, ['TOKEN_TTL_SECONDS', 'ALLOWED_ORIGINS', 'LOG_LEVEL', 'IPV4_PREFIX', 'IPV6_PREFIX', 'RATE_LIMIT_PER_MINUTE', 'METRICS_FROM']).map(([n, v]) => literal(n, v)),
  ];
  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(o, K8S_NAMES.front, 'front'),
    spec: {
      replicas: o.frontReplicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          terminationGracePeriodSeconds: FRONT_GRACE_SECONDS,
          enableServiceLinks: false,
          containers: [{
            name: 'front', image: o.image, args: ['front'], ports: [{ name: 'http', containerPort: port }], env, ...probes(port),
            resources: { requests: { cpu: '100m', memory: '128Mi' } }, securityContext: containerSecurity,
          }],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: metadata(o, K8S_NAMES.front, 'front'),
    spec: { selector, ports: [{ name: 'http', port, targetPort: port }] },
  };
  return [deployment, service];
}

function redisObjects(o: ResolvedKubernetesOptions): YamlValue[] {
  const selector = labels('redis');
  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(o, K8S_NAMES.redis, 'redis'),
    spec: {
      replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          containers: [{
            name: 'redis', image: 'redis:7-alpine', args: ['--save', '', '--appendonly', 'no'],
            ports: [{ name: 'redis', containerPort: REDIS_PORT }],
            readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
            resources: { requests: { cpu: '100m', memory: '64Mi' } },
          }],
        },
      },
    },
  };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: metadata(o, K8S_NAMES.redis, 'redis'), spec: { selector, ports: [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }] } };
  return [deployment, service];
}

function ingressObjects(config: Config, o: ResolvedKubernetesOptions): YamlValue[] {
  const timeouts = {
    'nginx.ingress.kubernetes.io/proxy-read-timeout': String(INGRESS_TIMEOUT_SECONDS),
    'nginx.ingress.kubernetes.io/proxy-send-timeout': String(INGRESS_TIMEOUT_SECONDS),
    // Long-polling answers go out as soon as they are written.
    'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
  };
  const ingress = (name: string, annotations: Record<string, string>, paths: YamlValue[]) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: metadata(o, name, 'ingress', { annotations }),
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [o.publicHost], secretName: K8S_NAMES.tls }], rules: [{ host: o.publicHost, http: { paths } }] },
  });
  const backend = (name: string, number: number) => ({ service: { name, port: { number } } });
  const workerPaths = Array.from({ length: config.workers }, (_, index) => ({
    path: workerIngressPath(index), pathType: 'ImplementationSpecific', backend: backend(workerServiceName(index), config.workerBasePort),
  }));
  return [
    ingress(K8S_NAMES.front, timeouts, [{ path: '/', pathType: 'Prefix', backend: backend(K8S_NAMES.front, config.port) }]),
    // A rewrite applies to every path of its Ingress: the workers get one of their own.
    ingress(K8S_NAMES.worker, { ...timeouts, 'nginx.ingress.kubernetes.io/use-regex': 'true', 'nginx.ingress.kubernetes.io/rewrite-target': WORKER_REWRITE_TARGET }, workerPaths),
  ];
}

/** The manifests as one multi-document YAML text for `kubectl apply -f`. */
export function renderKubernetes(config: Config, options: KubernetesOptions): string {
  const o = resolveKubernetesOptions(options);
  checkKubernetesSettings(config);
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: { 'app.kubernetes.io/name': 'sioroute' } } };
  const documents: { comment?: string; body: YamlValue }[] = [
    { body: namespace },
    ...(config.redisUrl === undefined
      ? redisObjects(o).map((body, i) => ({ body, ...(i === 0 ? { comment: 'A starting point, not a production Redis: one replica, no persistence, no password. For production\nuse a managed Redis or an operator and generate again with REDIS_URL set (it is then read from\nthe Secret and no Redis is emitted here).' } : {}) }))
      : []),
    ...workerObjects(config, o).map((body) => ({ body })),
    ...frontObjects(config, o).map((body) => ({ body })),
    ...ingressObjects(config, o).map((body, i) => ({ body, comment: i === 0 ? '/ to the fronts: the page, GET /ws-endpoint, /status, /healthz.' : '/w/N/ to worker N, the prefix stripped: the worker sees /socket.io/... as if reached directly.' })),
  ];
  const text = documents.map(({ comment, body }) => `---\n${comment ? `${yamlComment(comment)}\n` : ''}${toYaml(body)}`);
  return `${k8sHeader(config, o)}\n${text.join('')}`;
}
