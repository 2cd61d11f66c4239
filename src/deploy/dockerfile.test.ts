// deploy/Dockerfile and .dockerignore, read instruction by instruction (no Docker here): two stages,
// a non-root runtime with production dependencies only, the ports and paths the settings and the
// Kubernetes manifests expect, a stop signal and timeout for draining, and a HEALTHCHECK whose
// script is run for real against /livez.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { SETTINGS } from '../config/settings.js';
import { PACKAGE_ROOT, PUBLIC_DIR, VIEWS_DIR } from '../paths.js';
import { IMAGE_CLI_PATH } from './k8s-manifests.js';
import { stopTimeoutSeconds } from './stop-timeout.js';

interface Instruction {
  name: string;
  args: string;
}

const text = readFileSync(join(PACKAGE_ROOT, 'deploy', 'Dockerfile'), 'utf8');
const ignored = readFileSync(join(PACKAGE_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

/** Instructions in order, continuation lines joined, comments (and the syntax directive) left out. */
function instructions(source: string): Instruction[] {
  const logical = source.replace(/\\\n\s*/g, '').split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  return logical.map((line) => {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(match, `an instruction: ${line}`);
    return { name: match[1]!.toUpperCase(), args: match[2]!.trim() };
  });
}

const all = instructions(text);
const stages: Instruction[][] = [];
for (const i of all) {
  if (i.name === 'FROM') stages.push([i]);
  else stages.at(-1)?.push(i);
}
const [build, runtime] = stages as [Instruction[], Instruction[]];
const args = (stage: Instruction[], name: string) => stage.filter((i) => i.name === name).map((i) => i.args);
const defaultOf = (env: string) => String(SETTINGS.find((s) => s.env === env)!.defaultValue());

/** .dockerignore's patterns (root-relative names and * globs) against a root-relative path. */
function isIgnored(path: string): boolean {
  return ignored.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return regex.test(path);
  });
}

test('two stages: the build runs npm ci and the build, the runtime installs production dependencies only', () => {
  assert.equal(stages.length, 2);
  assert.match(build[0]!.args, /^node:\$\{NODE_VERSION\}-\S+ AS build$/);
  assert.doesNotMatch(runtime[0]!.args, / AS /i, 'the last stage is the image');
  const buildRuns = args(build, 'RUN').join('\n');
  assert.match(buildRuns, /npm ci(?! --omit)/);
  assert.match(buildRuns, /npm run build/);
  const runtimeRuns = args(runtime, 'RUN').join('\n');
  assert.match(runtimeRuns, /npm ci --omit=dev/);
  assert.doesNotMatch(runtimeRuns, /npm run build|npm ci(?! --omit=dev)/);
  assert.ok(args(runtime, 'COPY').some((a) => /^--from=build \/app\/dist \.\/dist$/.test(a)));
  assert.match(all.find((i) => i.name === 'ARG')?.args ?? '', /^NODE_VERSION=\d+$/);
});

test('the runtime stage runs as a non-root user, binds every interface, exposes the default ports and starts the CLI', () => {
  const user = args(runtime, 'USER').at(-1);
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
  assert.ok(args(runtime, 'ENV').includes('HOST=0.0.0.0'));
  assert.deepEqual(args(runtime, 'EXPOSE').join(' ').split(/\s+/), [defaultOf('PORT'), defaultOf('WORKER_BASE_PORT')]);
  assert.deepEqual(args(runtime, 'STOPSIGNAL'), ['SIGTERM']);
  assert.deepEqual(JSON.parse(args(runtime, 'ENTRYPOINT')[0]!), ['node', IMAGE_CLI_PATH]);
  assert.deepEqual(JSON.parse(args(runtime, 'CMD')[0]!), ['start']);
  assert.ok(IMAGE_CLI_PATH.startsWith(`${args(runtime, 'WORKDIR').at(-1)}/`), 'the manifests\' CLI path is inside WORKDIR');
  const drain = { drainSeconds: Number(defaultOf('DRAIN_SECONDS')) };
  assert.match(text, new RegExp(`docker stop -t ${stopTimeoutSeconds(drain)}\\b`), 'the stop timeout a drain needs is written down');
});

test('every COPY source exists and is in the build context; what the runtime reads is copied', () => {
  const sources = all.filter((i) => i.name === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  for (const source of sources) {
    assert.ok(existsSync(join(PACKAGE_ROOT, source)), `${source} exists`);
    assert.ok(!isIgnored(source), `${source} is not in .dockerignore`);
  }
  for (const dir of [VIEWS_DIR, PUBLIC_DIR]) assert.ok(args(runtime, 'COPY').some((a) => a.startsWith(`${relative(PACKAGE_ROOT, dir)} `)), dir);
  const tsconfig = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'tsconfig.json'), 'utf8')) as { extends: string };
  assert.ok(sources.includes(tsconfig.extends.replace(/^\.\//, '')), 'the base tsconfig is copied for the build');
  for (const path of ['node_modules', 'dist', '.git', 'npm-debug.log']) assert.ok(isIgnored(path), `${path} stays out of the context`);
});

test('the HEALTHCHECK script asks /livez on PORT: 0 when it answers 200, 1 otherwise', async () => {
  const healthcheck = args(runtime, 'HEALTHCHECK')[0]!;
  const command = /\bCMD (\[.*\])$/.exec(healthcheck)?.[1];
  assert.ok(command, 'exec form');
  const [node, flag, script] = JSON.parse(command) as string[];
  assert.deepEqual([node, flag], ['node', '-e']);
  let status = 200;
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = String((server.address() as AddressInfo).port);
  const run = (env: Record<string, string>) => promisify(execFile)(process.execPath, ['-e', script!], { env }).then(() => 0, (error: { code?: number }) => error.code ?? -1);
  try {
    assert.equal(await run({ PORT: port }), 0);
    status = 503;
    assert.equal(await run({ PORT: port }), 1);
    assert.deepEqual(asked, ['/livez', '/livez']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal(await run({ PORT: port }), 1, 'nothing listening');
});
