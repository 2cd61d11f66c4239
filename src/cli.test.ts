// The command line as users meet it: wrong settings, a start that cannot succeed, signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { httpGet } from './testing/clients.js';
import { runCli, startCluster } from './testing/cluster-process.js';

test('a wrong setting stops the program with exit code 2 and one line naming it', async () => {
  const result = await runCli(['start'], { PORT: 'eighty' });
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'sioroute: invalid setting PORT="eighty": expected an integer from 0 to 65535\n');
  const flag = await runCli(['start', '--workers', 'lots']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^sioroute: invalid setting --workers="lots": expected an integer from 1 to 256\n$/);
  const secret = await runCli(['start'], { ROUTING_SECRET: 'short-secret' });
  assert.equal(secret.code, 2);
  assert.ok(!secret.stderr.includes('short-secret'), 'secrets are never echoed');
});

test('unknown options and commands exit 2; --help exits 0 and lists every setting', async () => {
  const option = await runCli(['start', '--prot', '80']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /unknown option --prot/);
  const command = await runCli(['launch']);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command "launch"/);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['PORT', 'WORKERS', 'WORKER_PUBLIC_URL', 'TRUST_PROXY', 'ROUTING_SECRET', 'ALLOWED_ORIGINS', 'SINGLE_PORT']) assert.match(help.stdout, new RegExp(name));
  assert.match(help.stdout, /--single-port {2,}SINGLE_PORT/, 'a switch is listed without <value>');
  const badSwitch = await runCli(['start', '--single-port=maybe']);
  assert.equal(badSwitch.code, 2);
  assert.equal(badSwitch.stderr, 'sioroute: invalid option --single-port: a switch takes no value (use the environment variable to turn it off) (see sioroute --help)\n');
});

test('a start that cannot succeed (port taken) exits non-zero with the reason', async () => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as { port: number }).port;
  try {
    const front = await runCli(['start'], { PORT: String(port), WORKER_BASE_PORT: '0', WORKERS: '2' });
    assert.equal(front.code, 1);
    assert.match(front.stderr, new RegExp(`sioroute: cannot start: front cannot listen on 127\\.0\\.0\\.1:${port} \\(PORT\\): the address is already in use`));
    const worker = await runCli(['start'], { PORT: '0', WORKER_BASE_PORT: String(port - 1), WORKERS: '2' });
    assert.equal(worker.code, 1);
    assert.match(worker.stderr, new RegExp(`worker w1 cannot listen on 127\\.0\\.0\\.1:${port} \\(WORKER_BASE_PORT=${port - 1} \\+ 1\\)`));
    const single = await runCli(['start', '--single-port'], { PORT: String(port), WORKERS: '2' });
    assert.equal(single.code, 1);
    assert.match(single.stderr, new RegExp(`sioroute: cannot start: single-port mode cannot listen on 127\\.0\\.0\\.1:${port} \\(PORT\\): the address is already in use`));
  } finally {
    blocker.close();
  }
});

test('a missing handlers module is a failed start with the reason', async () => {
  const result = await runCli(['start'], { PORT: '0', WORKER_BASE_PORT: '0', WORKERS: '1', HANDLERS: './no/such/module.js' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /cannot start: worker w0 cannot load HANDLERS="\.\/no\/such\/module\.js"/);
});

test('SIGTERM shuts everything down cleanly and frees every port', async () => {
  const secret = 'cluster-test-secret-that-must-never-be-logged';
  const cluster = await startCluster({ env: { ROUTING_SECRET: secret, LOG_LEVEL: 'trace' } });
  const ports = [cluster.frontPort, ...cluster.workers.map((w) => w.port)];
  assert.equal((await httpGet(`${cluster.frontUrl}/healthz`)).status, 200);
  const started = Date.now();
  assert.equal(await cluster.stop(), 0);
  assert.ok(Date.now() - started < 6000, 'bounded shutdown');
  for (const port of ports) {
    const probe = createServer();
    probe.listen(port, '127.0.0.1');
    await once(probe, 'listening');
    probe.close();
  }
  assert.ok(cluster.lines.length > 5);
  assert.ok(!cluster.lines.some((line) => line.includes(secret)), 'no secret in logs');
});

test('a hung worker is taken out of routing, then killed and replaced', async () => {
  const cluster = await startCluster();
  try {
    const victim = cluster.workers[0]!;
    const status = async () => (await httpGet(`${cluster.frontUrl}/status.json`)).json<{ list: { id: string; pid: number; state: string }[] }>().list;
    process.kill(victim.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    for (;;) {
      const slot = (await status()).find((w) => w.id === victim.id);
      if (slot?.state === 'unhealthy' || slot === undefined) break;
      assert.ok(Date.now() - stoppedAt < 3000, 'out of routing within about 2 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const outAfter = Date.now() - stoppedAt;
    for (;;) {
      const slot = (await status()).find((w) => w.id === victim.id);
      if (slot && slot.pid !== victim.pid && slot.state === 'ready') break;
      assert.ok(Date.now() - stoppedAt < 20_000, 'replaced in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`hung worker out of routing after ${outAfter} ms, replaced after ${Date.now() - stoppedAt} ms`);
  } finally {
    await cluster.stop();
  }
});

test('--version, and --help on every command, exit 0', async () => {
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const command of ['start', 'front', 'worker', 'restart', 'nginx-config', 'k8s', 'systemd-unit']) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: sioroute (\\[)?${command}`), command);
  }
});

test('k8s and systemd-unit print files for these settings; their options belong to them alone', async () => {
  const k8s = await runCli(['k8s', '--public-host', 'rt.example.com', '--workers', '3']);
  assert.equal(k8s.code, 0, k8s.stderr);
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(k8s.stdout).map((d) => d.toJSON() as { kind: string; spec?: { replicas?: number } });
  assert.equal(docs.find((d) => d.kind === 'StatefulSet')?.spec?.replicas, 3);
  const missing = await runCli(['k8s']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^sioroute: missing option --public-host/);
  const bad = await runCli(['k8s', '--public-host', 'rt.example.com', '--front-replicas', 'many']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^sioroute: invalid option --front-replicas=/);
  const unit = await runCli(['systemd-unit', '--drain-seconds', '20']);
  assert.equal(unit.code, 0, unit.stderr);
  assert.match(unit.stdout, /^TimeoutStopSec=\d+/m);
  const foreign = await runCli(['start', '--public-host', 'x']);
  assert.equal(foreign.code, 2);
  assert.match(foreign.stderr, /^sioroute: unknown option --public-host for start/);
});
