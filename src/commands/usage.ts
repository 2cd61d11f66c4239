// The help text of each command.
import { SETTINGS } from '../config/settings.js';
import { DEFAULT_NGINX_LISTEN } from '../deploy/nginx-config.js';

export const COMMANDS = ['start', 'front', 'worker', 'restart', 'nginx-config', 'k8s', 'systemd-unit'] as const;
export type CommandName = (typeof COMMANDS)[number];

const SUMMARY: Record<CommandName, string[]> = {
  start: [
    'Usage: sioroute [start] [options]',
    '',
    'Starts a supervisor, one front (the page and GET /ws-endpoint) and N socket.io workers on this',
    'machine. With --single-port, everything is served on PORT alone: the supervisor hands each',
    'connection to the worker its client address hashes to. SIGHUP restarts the workers one by one,',
    'draining each; SIGTERM to one worker drains and replaces it; SIGTERM or SIGINT stops everything.',
  ],
  front: [
    'Usage: sioroute front [options]',
    '',
    'One front as a service of its own. Needs ROUTING_SECRET, and REDIS_URL (workers register there)',
    'or WORKER_URLS (a static list it probes). Run as many as you like behind any load balancer.',
  ],
  worker: [
    'Usage: sioroute worker [options]',
    '',
    'One worker as a service of its own. Needs ROUTING_SECRET; REDIS_URL to register and broadcast.',
    'SIGTERM or SIGINT drains it over DRAIN_SECONDS; a second signal stops it at once.',
  ],
  restart: [
    'Usage: sioroute restart [--port N]',
    '',
    'Rolling restart of the workers of the sioroute running with this PORT: each drains, its',
    'replacement takes its clients back. Waits until every worker is replaced.',
  ],
  'nginx-config': [
    `Usage: sioroute nginx-config [--listen ${DEFAULT_NGINX_LISTEN}] [options]`,
    '',
    'Prints an nginx configuration for one public port: / to the front, /w/N/ to worker N (from HOST,',
    'PORT, WORKERS and WORKER_BASE_PORT). --listen is a port or address:port.',
  ],
  k8s: [
    'Usage: sioroute k8s --public-host <name> [--namespace sioroute] [--image sioroute:latest] [--front-replicas 2] [options]',
    '',
    'Prints Kubernetes manifests: workers as a StatefulSet (pod ordinal = worker index), fronts as a',
    'Deployment, Redis, an Ingress with / to the fronts and /w/N/ to worker N, probes on /livez and',
    '/readyz, and terminationGracePeriodSeconds from DRAIN_SECONDS. WORKERS is the worker count.',
  ],
  'systemd-unit': [
    'Usage: sioroute systemd-unit [--exec-path /usr/local/bin/sioroute] [--user sioroute] [--environment-file /etc/sioroute/sioroute.env] [options]',
    '',
    'Prints a systemd unit for `sioroute start` with these settings: reload is a rolling restart',
    '(SIGHUP), TimeoutStopSec covers DRAIN_SECONDS, the secret comes from the environment file.',
  ],
};

/** The options each command takes besides the settings. */
export const COMMAND_OPTIONS: Record<CommandName, readonly string[]> = {
  start: [], front: [], worker: [], restart: [],
  'nginx-config': ['listen'],
  k8s: ['public-host', 'namespace', 'image', 'front-replicas'],
  'systemd-unit': ['exec-path', 'user', 'environment-file'],
};

function settingRows(): string[] {
  return SETTINGS.map((s) => {
    const flag = 'isSwitch' in s && s.isSwitch ? s.flag : `${s.flag} <value>`;
    return `  ${flag.padEnd(34)} ${s.env.padEnd(22)} ${s.description} (default: ${s.defaultText})`;
  });
}

export function usage(command: CommandName | undefined): string {
  const head = command
    ? SUMMARY[command]
    : [
        'Usage: sioroute <command> [options]',
        '',
        '  start          supervisor, front and workers on this machine (the default)',
        '  front          one front as a service of its own',
        '  worker         one worker as a service of its own',
        '  restart        rolling restart of a running sioroute',
        '  nginx-config   print an nginx configuration for one public port',
        '  k8s            print Kubernetes manifests for these settings',
        '  systemd-unit   print a systemd unit for these settings',
        '',
        'Every setting is an environment variable and an option; options win. `sioroute <command> --help`',
        'tells about one command.',
      ];
  return [...head, '', 'Settings:', ...settingRows(), '', '  --help, -h                         this text', '  --version                          the version of sioroute'].join('\n');
}
