#!/usr/bin/env node
// The command line, and the only place that reads process.env, installs signal handlers and exits.
// It reads the command and hands over to src/commands/; children forked by the supervisor run
// this same file and become the front or a worker (src/commands/child.ts).
import cluster from 'node:cluster';
import { packageVersion, readCommandLine, EXIT_CONFIG, fail } from './commands/cli-support.js';
import { COMMAND_OPTIONS, COMMANDS, usage, type CommandName } from './commands/usage.js';

/** Every command's own options, read in one pass; each is refused for the other commands. */
const EXTRA_OPTIONS = Object.fromEntries([...new Set(Object.values(COMMAND_OPTIONS).flat())].map((name) => [name, { type: 'string' as const }]));

async function runCommand(args: readonly string[]): Promise<void> {
  const raw = readCommandLine(args, { version: { type: 'boolean' }, ...EXTRA_OPTIONS });
  if (raw.extras.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const name = raw.rest[0] ?? 'start';
  if (name === 'help') {
    process.stdout.write(`${usage(undefined)}\n`);
    return;
  }
  if (!(COMMANDS as readonly string[]).includes(name)) {
    fail(EXIT_CONFIG, `unknown command ${JSON.stringify(name)}: expected ${COMMANDS.join(', ')} (see sioroute --help)`);
  }
  const command = name as CommandName;
  if (raw.extras.help) {
    process.stdout.write(`${usage(raw.rest[0] === undefined ? undefined : command)}\n`);
    return;
  }
  const foreign = Object.keys(EXTRA_OPTIONS).find((name) => raw.extras[name] !== undefined && !COMMAND_OPTIONS[command].includes(name));
  if (foreign !== undefined) fail(EXIT_CONFIG, `unknown option --${foreign} for ${command} (see sioroute ${command} --help)`);
  switch (command) {
    case 'start':
      return (await import('./commands/start.js')).runStartCommand(raw);
    case 'front':
      return (await import('./commands/front.js')).runFrontCommand(raw);
    case 'worker':
      return (await import('./commands/worker.js')).runWorkerCommand(raw);
    case 'restart':
      return (await import('./commands/restart.js')).runRestartCommand(raw);
    case 'nginx-config':
      return (await import('./commands/nginx-config.js')).runNginxConfigCommand(raw);
    case 'k8s':
      return (await import('./commands/deploy-files.js')).runKubernetesCommand(raw);
    case 'systemd-unit':
      return (await import('./commands/deploy-files.js')).runSystemdUnitCommand(raw);
  }
}

if (cluster.isPrimary) {
  await runCommand(process.argv.slice(2));
} else {
  await (await import('./commands/child.js')).runChild();
}
