// renderKubernetes: the manifests parse, route /w/N/ to exactly pod N (the prefixes nginx-config
// uses), agree on ports with what the CLI's own loader makes of each pod's environment, keep secrets
// out, and refuse bad options by name. No cluster here: Kubernetes' part is simulated in
// src/testing/k8s-objects.ts (pod labels, selectors, $(VAR) expansion) and the worker's start line
// runs in a real shell with a stand-in for node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commandIssues, workerIndexFrom } from '../config/command-settings.js';
import { loadConfig, readRawSettings } from '../config/load-config.js';
import { SETTINGS } from '../config/settings.js';
import { workerAddress } from '../routing/worker-address.js';
import { containersOf, envValue, expandKubernetesVars, findObject, parseManifests, podsOf, selects, type K8sObject } from '../testing/k8s-objects.js';
import { DeployOptionError } from './deploy-option-error.js';
import { K8S_NAMES, renderKubernetes, WORKER_REWRITE_TARGET } from './k8s-manifests.js';
import { renderNginxConfig } from './nginx-config.js';

const HOST = 'rt.example.com';
const SECRETS = { 'routing-secret': 'k8s-test-secret-of-at-least-32-bytes!!', 'redis-url': 'rediss://:hunter2-pw@redis.example.net:6380' };

function render(env: Record<string, string>, options: Partial<Parameters<typeof renderKubernetes>[1]> = {}) {
  const config = loadConfig(readRawSettings(env, []));
  const text = renderKubernetes(config, { publicHost: HOST, ...options });
  return { config, text, objects: parseManifests(text) };
}

/** nginx's rewrite for an ingress-nginx regex path: `^path`, case-insensitive, then rewrite-target with $1, $2. */
function ingressRewrite(path: string, uri: string): string | undefined {
  const match = new RegExp(`^${path}`, 'i').exec(uri);
  return match ? WORKER_REWRITE_TARGET.replace(/\$([0-9])/g, (_, n: string) => match[Number(n)] ?? '') + uri.slice(match[0].length) : undefined;
}

/** What the pod's shell line runs, with a stand-in `node` that prints its arguments. */
async function startLine(line: string, env: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sioroute-k8s-'));
  try {
    writeFileSync(join(dir, 'node'), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    chmodSync(join(dir, 'node'), 0o755);
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', line], { env: { ...env, PATH: `${dir}:/usr/bin:/bin` } });
    return stdout.split('\n').slice(0, -1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each pod's environment as the kubelet would set it. */
function podEnv(workload: K8sObject, pod: { name: string; labels: Record<string, string> }): Record<string, string> {
  return Object.fromEntries((containersOf(workload)[0]!.env ?? []).map((v) => [v.name, envValue(v, pod, SECRETS)]));
}

test('every worker index has an ingress path /w/N/ to a Service selecting exactly pod N, the prefixes nginx-config uses', () => {
  const { config, objects } = render({ WORKERS: '12' });
  const statefulSet = findObject(objects, 'StatefulSet', K8S_NAMES.worker);
  const pods = podsOf(statefulSet);
  assert.equal(pods.length, 12);
  const ingress = findObject(objects, 'Ingress', K8S_NAMES.worker);
  const paths = ingress.spec.rules[0].http.paths as { path: string; backend: { service: { name: string } } }[];
  const nginx = renderNginxConfig({ listen: '8088', upstreamHost: '127.0.0.1', frontPort: config.port, workerBasePort: config.workerBasePort, workers: config.workers });
  const nginxPrefixes = [...nginx.matchAll(/location (\/w\/[0-9]+\/) \{/g)].map((m) => m[1]!);
  assert.equal(paths.length, nginxPrefixes.length);
  for (const [n, prefix] of nginxPrefixes.entries()) {
    const route = paths.find((p) => ingressRewrite(p.path, `${prefix}socket.io/`) !== undefined);
    assert.ok(route, `an ingress path takes ${prefix}`);
    const service = findObject(objects, 'Service', route.backend.service.name);
    assert.deepEqual(pods.filter((pod) => selects(service.spec.selector, pod.labels)).map((pod) => pod.name), [`${K8S_NAMES.worker}-${n}`]);
    // The address the front hands out for worker n leads there, and the worker sees what nginx would pass.
    const env = podEnv(statefulSet, pods[n]!);
    const answer = workerAddress(env.WORKER_PUBLIC_URL!, { id: env.WORKER_ID!, index: Number(env.WORKER_INDEX), port: 1, hostname: 'ignored', protocol: 'http' });
    assert.deepEqual(answer, { url: `https://${HOST}`, path: `${prefix}socket.io` });
    for (const rest of ['socket.io/', 'socket.io/?EIO=4&transport=polling', '']) {
      assert.equal(ingressRewrite(route.path, `${prefix}${rest}`), `/${rest}`, `${prefix}${rest}`);
    }
    assert.equal(ingressRewrite(route.path, `/w/${n}`), '/');
    assert.equal(ingressRewrite(route.path, `/w/${n}0/socket.io/`), undefined, 'no prefix of another index');
  }
  const front = findObject(objects, 'Ingress', K8S_NAMES.front);
  assert.equal(front.metadata.annotations?.['nginx.ingress.kubernetes.io/rewrite-target'], undefined, '/ is never rewritten');
  assert.deepEqual(front.spec.rules[0].http.paths.map((p: { path: string }) => p.path), ['/']);
  for (const i of [front, ingress]) {
    assert.equal(i.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'], '75');
    assert.equal(i.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-send-timeout'], '75');
    assert.equal(i.spec.rules[0].host, HOST);
  }
});

test('ports agree, and the CLI\'s own loader accepts every pod\'s environment and listens where the manifests point', async () => {
  const { config, objects } = render({ WORKERS: '4', PORT: '9000', WORKER_BASE_PORT: '4000', ALLOWED_ORIGINS: 'https://app.example.com', METRICS_FROM: 'none' });
  const statefulSet = findObject(objects, 'StatefulSet', K8S_NAMES.worker);
  const worker = containersOf(statefulSet)[0]!;
  assert.deepEqual(worker.ports?.map((p) => p.containerPort), [4000]);
  assert.equal(worker.livenessProbe?.httpGet?.port, 4000);
  assert.equal(worker.readinessProbe?.httpGet?.port, 4000);
  for (const service of objects.filter((o) => o.kind === 'Service' && o.metadata.name.startsWith(K8S_NAMES.worker))) {
    assert.deepEqual(service.spec.ports.map((p: { port: number; targetPort: number }) => [p.port, p.targetPort]), [[4000, 4000]], service.metadata.name);
  }
  const paths = findObject(objects, 'Ingress', K8S_NAMES.worker).spec.rules[0].http.paths as { backend: { service: { port: { number: number } } } }[];
  assert.deepEqual([...new Set(paths.map((p) => p.backend.service.port.number))], [4000]);
  for (const pod of podsOf(statefulSet)) {
    const env = podEnv(statefulSet, pod);
    assert.equal(env.WORKER_BASE_PORT, '4000');
    const command = worker.command!.map((part) => expandKubernetesVars(part, env));
    assert.deepEqual(command.slice(0, 2), ['/bin/sh', '-c']);
    const argv = await startLine(command[2]!, env);
    assert.equal(argv[0], '/app/dist/src/cli.js');
    assert.equal(argv[1], 'worker');
    const raw = readRawSettings(env, argv.slice(2));
    const loaded = loadConfig(raw);
    assert.deepEqual(commandIssues('worker', loaded, raw.sources), []);
    const index = workerIndexFrom(loaded, env);
    assert.equal(index, Number(pod.labels['apps.kubernetes.io/pod-index']));
    assert.equal(loaded.workerBasePort + index, 4000, `${pod.name} listens on the containerPort`);
    assert.equal(loaded.workerId, pod.name);
    assert.deepEqual(loaded.allowedOrigins, ['https://app.example.com']);
    assert.deepEqual(loaded.metricsFrom, [], 'an empty list is written as none');
  }
  const deployment = findObject(objects, 'Deployment', K8S_NAMES.front);
  const front = containersOf(deployment)[0]!;
  const frontEnv = podEnv(deployment, { name: 'front', labels: {} });
  const raw = readRawSettings(frontEnv, front.args!.slice(1));
  const loaded = loadConfig(raw);
  assert.deepEqual(front.args, ['front']);
  assert.deepEqual(commandIssues('front', loaded, raw.sources), []);
  assert.equal(loaded.host, '0.0.0.0');
  for (const port of [front.ports![0]!.containerPort, front.livenessProbe?.httpGet?.port, front.readinessProbe?.httpGet?.port, loaded.port]) assert.equal(port, config.port);
  assert.deepEqual(findObject(objects, 'Service', K8S_NAMES.front).spec.ports.map((p: { port: number; targetPort: number }) => [p.port, p.targetPort]), [[9000, 9000]]);
  assert.equal(findObject(objects, 'Ingress', K8S_NAMES.front).spec.rules[0].http.paths[0].backend.service.port.number, 9000);
});

test('env names are settings; probes, grace periods and replicas follow the settings and options', () => {
  const { config, objects } = render({ WORKERS: '3', DRAIN_SECONDS: '30' }, { frontReplicas: 3 });
  const known = new Set<string>(SETTINGS.map((s) => s.env));
  const statefulSet = findObject(objects, 'StatefulSet', K8S_NAMES.worker);
  const deployment = findObject(objects, 'Deployment', K8S_NAMES.front);
  for (const workload of [statefulSet, deployment]) {
    const container = containersOf(workload)[0]!;
    for (const variable of container.env ?? []) assert.ok(known.has(variable.name), `${variable.name} is a setting`);
    assert.equal(container.livenessProbe?.httpGet?.path, '/livez');
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(container.image, 'sioroute:latest');
  }
  const env = containersOf(statefulSet)[0]!.env!;
  assert.deepEqual(env.find((v) => v.name === 'WORKER_INDEX')?.valueFrom, { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } });
  assert.deepEqual(env.find((v) => v.name === 'WORKER_ID')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
  assert.equal(env.find((v) => v.name === 'DRAIN_SECONDS')?.value, '30');
  assert.ok(statefulSet.spec.template.spec.terminationGracePeriodSeconds >= config.drainSeconds + 5);
  assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds <= 15, 'fronts close at once');
  assert.equal(statefulSet.spec.replicas, 3);
  assert.equal(deployment.spec.replicas, 3);
  assert.equal(render({ WORKERS: '2' }).objects.find((o) => o.kind === 'Deployment' && o.metadata.name === K8S_NAMES.front)?.spec.replicas, 2);
  assert.equal(containersOf(deployment)[0]!.env!.find((v) => v.name === 'TRUST_PROXY')?.value, 'uniquelocal');
  const custom = render({ WORKERS: '2', TRUST_PROXY: '10.2.0.0/16' }).objects;
  assert.equal(containersOf(findObject(custom, 'Deployment', K8S_NAMES.front))[0]!.env!.find((v) => v.name === 'TRUST_PROXY')?.value, '10.2.0.0/16');
  for (const o of objects) assert.equal(o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace, 'sioroute', `${o.kind} ${o.metadata.name}`);
});

test('no secret value in the output: the Secret is referenced, and its commented manifest has a placeholder sioroute refuses', () => {
  const bundled = render({ WORKERS: '2', ROUTING_SECRET: SECRETS['routing-secret'] });
  assert.ok(!bundled.text.includes(SECRETS['routing-secret']));
  const redisUrl = containersOf(findObject(bundled.objects, 'Deployment', K8S_NAMES.front))[0]!.env!.find((v) => v.name === 'REDIS_URL')?.value;
  assert.equal(redisUrl, `redis://${K8S_NAMES.redis}:6379`);
  assert.deepEqual(findObject(bundled.objects, 'Service', K8S_NAMES.redis).spec.ports.map((p: { port: number }) => p.port), [6379]);
  assert.match(bundled.text, /A starting point, not a production Redis/);

  const external = render({ WORKERS: '2', ROUTING_SECRET: SECRETS['routing-secret'], REDIS_URL: SECRETS['redis-url'] });
  for (const value of [...Object.values(SECRETS), 'hunter2']) assert.ok(!external.text.includes(value), 'no secret in the text');
  assert.ok(!external.objects.some((o) => o.metadata.name === K8S_NAMES.redis), 'no bundled Redis with an external one');
  assert.ok(!external.objects.some((o) => o.kind === 'Secret'), 'the Secret is never applied from this file');
  const block = /^# >>> Secret manifest\n([\s\S]*?)^# <<< Secret manifest$/m.exec(external.text)?.[1];
  assert.ok(block, 'the commented Secret manifest');
  const [secret] = parseManifests(block.replace(/^# /gm, ''));
  const stringData = (secret as unknown as { stringData: Record<string, string> }).stringData;
  const refs = ['Deployment', 'StatefulSet'].flatMap((kind) => external.objects.filter((o) => o.kind === kind && o.metadata.name !== K8S_NAMES.redis))
    .flatMap((w) => containersOf(w)[0]!.env!.flatMap((v) => (v.valueFrom?.secretKeyRef ? [v.valueFrom.secretKeyRef] : [])));
  assert.deepEqual([...new Set(refs.map((r) => r.key))].sort(), Object.keys(stringData).sort());
  assert.ok(refs.every((r) => r.name === secret!.metadata.name && secret!.metadata.namespace === 'sioroute'));
  const routingSecret = SETTINGS.find((s) => s.env === 'ROUTING_SECRET')!;
  assert.throws(() => routingSecret.parse(stringData['routing-secret']!), 'the placeholder is too short to run with');
});

test('bad options and settings are refused with the option, the value and what is expected', () => {
  const config = loadConfig(readRawSettings({ WORKERS: '2' }, []));
  const cases: [Partial<Parameters<typeof renderKubernetes>[1]>, RegExp][] = [
    [{ publicHost: 'https://rt.example.com' }, /^invalid option publicHost="https:\/\/rt\.example\.com": expected the lower-case DNS name/],
    [{ publicHost: 'rt.example.com:443' }, /^invalid option publicHost="rt\.example\.com:443"/],
    [{ publicHost: '' }, /^invalid option publicHost="": expected/],
    [{ namespace: 'Sio_Route' }, /^invalid option namespace="Sio_Route": expected a Kubernetes namespace name/],
    [{ image: 'sioroute latest' }, /^invalid option image="sioroute latest": expected an image reference/],
    [{ frontReplicas: 0 }, /^invalid option frontReplicas="0": expected an integer from 1 to 100/],
    [{ frontReplicas: 1.5 }, /^invalid option frontReplicas="1.5"/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => renderKubernetes(config, { publicHost: HOST, ...options }), (error: unknown) => error instanceof DeployOptionError && message.test(error.message), JSON.stringify(options));
  }
  const settings: [Record<string, string>, RegExp][] = [
    [{ WORKER_BASE_PORT: '0' }, /^invalid setting WORKER_BASE_PORT="0": expected a fixed worker port/],
    [{ PORT: '0' }, /^invalid setting PORT="0": expected a fixed front port/],
    [{ SINGLE_PORT: 'true' }, /^invalid setting SINGLE_PORT="true"/],
    [{ WORKER_URLS: 'http://10.0.0.2:3131' }, /^invalid setting WORKER_URLS=/],
    [{ WORKER_BASE_PORT: '3', PORT: '9000' }, /^invalid setting WORKER_BASE_PORT="3": expected at least WORKERS \(4\)/],
    [{ WORKER_BASE_PORT: '3131', PORT: '3129' }, /^invalid setting PORT="3129": expected a front port outside 3128-3134/],
  ];
  for (const [env, message] of settings) {
    const bad = loadConfig(readRawSettings({ WORKERS: '4', ...env }, []));
    assert.throws(() => renderKubernetes(bad, { publicHost: HOST }), (error: unknown) => error instanceof DeployOptionError && message.test(error.message), JSON.stringify(env));
  }
  assert.doesNotThrow(() => renderKubernetes(config, { publicHost: HOST, namespace: 'edge-1', image: 'registry.example.com:5000/team/sioroute:1.2.3', frontReplicas: 100 }));
});
