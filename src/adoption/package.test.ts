// The package as users get it: `npm pack`, installed into an empty project. There the bin runs,
// every entry imports, and a TypeScript file type-checks against the shipped types.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { PACKAGE_ROOT } from '../paths.js';
import { spawnCli } from '../testing/cli-process.js';

const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, timeout: 240_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });

let project: string;
let files: string[];
const version = (JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'sioroute-user-'));
  // dist/ is built by `npm test`'s pretest; prepack would build it again under the running tests.
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', project], PACKAGE_ROOT);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = info!.files.map((f) => f.path);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true, type: 'module' }));
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(project, info!.filename)], project);
});

after(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

test('the tarball holds what runs, and nothing else', () => {
  for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/src/cli.js', 'dist/src/index.d.ts', 'dist/src/client/index.js', 'dist/src/front/fastify-plugin.js', 'dist/src/front/express.js', 'dist/bundle/app.js', 'views/index.eta', 'public/style.css']) {
    assert.ok(files.includes(needed), `${needed} is packed`);
  }
  const stray = files.filter((f) => /\.test\.|\/testing\/|^bench\/|^e2e\/|^dist\/(bench|e2e)\/|(?<!\.d)\.ts$|\.map$/.test(f));
  assert.deepEqual(stray, []);
});

test('the installed bin prints the version and serves /ws-endpoint', async () => {
  const bin = join(project, 'node_modules', '.bin', 'sioroute');
  assert.equal((await run(bin, ['--version'])).stdout.trim(), version);
  const cli = spawnCli(['start', '--port', '0', '--worker-base-port', '0', '--workers', '2'], { ...process.env, LOG_LEVEL: 'info' }, bin);
  try {
    const ready = await cli.waitForLog((e) => typeof e.frontUrl === 'string', 30_000);
    const answer = await fetch(`${ready.frontUrl as string}/ws-endpoint`);
    assert.equal(answer.status, 200);
    assert.match(((await answer.json()) as { workerId: string }).workerId, /^w[01]$/);
  } finally {
    assert.equal(await cli.stop(), 0);
  }
});

test('every entry imports from the installed package', async () => {
  const script = `
    const server = await import('sioroute');
    const client = await import('sioroute/client');
    const fastify = await import('sioroute/fastify');
    const express = await import('sioroute/express');
    const pkg = await import('sioroute/package.json', { with: { type: 'json' } });
    console.log(JSON.stringify([typeof server.attachWorker, typeof server.startCluster, typeof server.staticMembership, typeof client.connect, typeof fastify.default, typeof express.sioroute, pkg.default.name]));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), ['function', 'function', 'function', 'function', 'function', 'function', 'sioroute']);
});

test('a TypeScript file type-checks against the shipped types', async () => {
  await writeFile(
    join(project, 'app.ts'),
    `import { attachWorker, redisMembership, staticMembership, type WsEndpoint } from 'sioroute';
import { connect, type RoutedSocketState } from 'sioroute/client';
import sioroute from 'sioroute/fastify';
import { sioroute as siorouteExpress } from 'sioroute/express';
import Fastify from 'fastify';
import { Server } from 'socket.io';
const io = new Server();
const worker = attachWorker(io, { workerId: 'w0', secret: 'x'.repeat(32), exemptNamespaces: ['/admin'] });
const drained: Promise<void> = worker.drain(1000);
const app = Fastify();
await app.register(sioroute, { membership: staticMembership({ urls: ['http://127.0.0.1:3131'] }), secret: 'x'.repeat(32), prefix: '/rt' });
app.get('/', async (request) => { const endpoint: WsEndpoint | null = app.sioroute.endpointFor(request); return endpoint; });
const handler = siorouteExpress({ membership: redisMembership({ url: 'redis://127.0.0.1:6379' }), secret: 'x'.repeat(32) });
const socket = connect({ endpointUrl: 'http://127.0.0.1:8080/ws-endpoint', auth: { user: 'u' }, autoConnect: false });
socket.on('sioroute:state', (state: RoutedSocketState) => state);
void [drained, handler, socket];
`,
  );
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, lib: ['es2022', 'dom'], types: ['node'], typeRoots: [join(PACKAGE_ROOT, 'node_modules', '@types')] }, files: ['app.ts'] }),
  );
  const tsc = join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsc');
  const result = await run(tsc, ['-p', project]).catch((error: { stdout: string; stderr: string }) => error);
  assert.equal('stdout' in result ? result.stdout + result.stderr : '', '', 'no type errors');
});
