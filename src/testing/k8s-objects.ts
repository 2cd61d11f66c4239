// Test support for generated Kubernetes manifests: the objects of a multi-document YAML text, and
// what Kubernetes itself would make of a few fields (the pods of a StatefulSet and their labels,
// Service selectors, the kubelet's $(VAR) expansion of commands), since no cluster runs the tests.
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

export interface Probe {
  httpGet?: { path: string; port: number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // The shape differs by kind; tests read the fields they check.
  spec?: any;
}

function documents(text: string, version: '1.1' | '1.2'): K8sObject[] {
  return parseAllDocuments(text, { version }).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], 'the YAML parses');
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value as K8sObject];
  });
}

/** The objects of a multi-document text, read the same by YAML 1.2 and by YAML 1.1 (kubectl's). */
export function parseManifests(text: string): K8sObject[] {
  const objects = documents(text, '1.2');
  assert.deepEqual(documents(text, '1.1'), objects, 'a YAML 1.1 reader sees the same objects');
  return objects;
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} is generated`);
  return found;
}

export function containersOf(workload: K8sObject): Container[] {
  return workload.spec.template.spec.containers as Container[];
}

/** The pods a StatefulSet makes, with the labels Kubernetes adds to each (pod name and index). */
export function podsOf(statefulSet: K8sObject): { name: string; labels: Record<string, string> }[] {
  return Array.from({ length: statefulSet.spec.replicas as number }, (_, index) => {
    const name = `${statefulSet.metadata.name}-${index}`;
    const labels = { ...(statefulSet.spec.template.metadata.labels as Record<string, string>), 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(index) };
    return { name, labels };
  });
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The kubelet's expansion of command and args: $(NAME) from the container's env, $$ for a literal $. */
export function expandKubernetesVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return env[name] ?? match;
  });
}

/** The value of an env var as the kubelet would set it in a pod, with the secrets' values given. */
export function envValue(variable: EnvVar, pod: { name: string; labels: Record<string, string> }, secrets: Readonly<Record<string, string>>): string {
  if (variable.value !== undefined) return variable.value;
  const field = variable.valueFrom?.fieldRef?.fieldPath;
  if (field === 'metadata.name') return pod.name;
  const label = field === undefined ? undefined : /^metadata\.labels\['(.+)'\]$/.exec(field)?.[1];
  if (label !== undefined) return pod.labels[label] ?? assert.fail(`pod ${pod.name} has no label ${label}`);
  const key = variable.valueFrom?.secretKeyRef?.key;
  if (key !== undefined) return secrets[key] ?? assert.fail(`no secret value given for ${key}`);
  return assert.fail(`cannot resolve ${variable.name}`);
}
