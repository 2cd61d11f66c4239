#!/usr/bin/env node
// The command line, and the only place that reads process.env, installs signal handlers and exits.
// It reads the command and hands over to src/commands/; children forked by the supervisor run
// this same file and become the front or a worker (src/commands/child.ts).
import cluster from 'node:cluster';
import { packageVersion, readCommandLine, EXIT_CONFIG, fail } from './commands/cli-support.js';
import { COMMANDS, usage, type CommandName } from './commands/usage.js';

async function runCommand(args: readonly string[]): Promise<void> {
  const raw = readCommandLine(args, { version: { type: 'boolean' }, listen: { type: 'string' } });
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
  if (raw.extras.listen !== undefined && command !== 'nginx-config') fail(EXIT_CONFIG, `unknown option --listen for ${command} (see sioroute ${command} --help)`);
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
  }
}

if (cluster.isPrimary) {
  await runCommand(process.argv.slice(2));
} else {
  await (await import('./commands/child.js')).runChild();
}
