// Settings that only make sense for some commands, and the ones a command cannot run without.
// Pure: takes the loaded config and where each value came from, returns the problems (exit 2).
import { hostname } from 'node:os';
import type { ConfigIssue } from './load-config.js';
import type { Config } from './settings.js';

export type Command = 'start' | 'front' | 'worker';

export function commandIssues(command: Command, config: Config, sources: Readonly<Record<string, string>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const named = (env: string) => sources[env] ?? env;
  if (command !== 'start' && config.routingSecret === undefined) {
    issues.push({
      setting: 'ROUTING_SECRET',
      shown: '(unset)',
      expected: `required by \`sioroute ${command}\`: fronts and workers running as separate services must share one secret of at least 32 bytes (e.g. openssl rand -hex 32)`,
    });
  }
  if (command === 'front') {
    if (config.redisUrl === undefined && config.workerUrls.length === 0) {
      issues.push({ setting: 'REDIS_URL', shown: '(unset)', expected: '`sioroute front` needs REDIS_URL (workers register there) or WORKER_URLS (a static list it probes)' });
    }
    if (config.redisUrl !== undefined && config.workerUrls.length > 0) {
      issues.push({ setting: named('WORKER_URLS'), shown: JSON.stringify(config.workerUrls.join(',')), expected: 'expected either REDIS_URL or WORKER_URLS, not both' });
    }
  }
  if (command !== 'front' && config.workerUrls.length > 0) {
    issues.push({ setting: named('WORKER_URLS'), shown: JSON.stringify(config.workerUrls.join(',')), expected: 'only `sioroute front` reads WORKER_URLS; unset it here' });
  }
  if (command !== 'start' && config.singlePort) {
    issues.push({ setting: named('SINGLE_PORT'), shown: '"true"', expected: 'only `sioroute start` runs single-port mode; unset it here' });
  }
  if (command !== 'worker') {
    for (const [env, value] of [['WORKER_ID', config.workerId], ['WORKER_INDEX', config.workerIndex]] as const) {
      if (value !== undefined) issues.push({ setting: named(env), shown: JSON.stringify(String(value)), expected: `only \`sioroute worker\` reads ${env}; unset it here` });
    }
  }
  return issues;
}

/** Under pm2 each instance of an app gets NODE_APP_INSTANCE (0, 1, ...): the worker's index unless WORKER_INDEX is set. */
export function workerIndexFrom(config: Config, env: Readonly<Record<string, string | undefined>>): number | ConfigIssue {
  if (config.workerIndex !== undefined) return config.workerIndex;
  const fromPm2 = env.NODE_APP_INSTANCE;
  if (fromPm2 === undefined || fromPm2 === '') return 0;
  if (!/^[0-9]{1,5}$/.test(fromPm2) || Number(fromPm2) > 65535) {
    return { setting: 'NODE_APP_INSTANCE', shown: JSON.stringify(fromPm2), expected: 'expected an integer from 0 to 65535 (set by pm2), or set WORKER_INDEX' };
  }
  return Number(fromPm2);
}

/** The id a worker gets when WORKER_ID is unset: stable across restarts, distinct across machines. */
export function defaultWorkerId(index: number, machine = hostname()): string {
  const label = machine.split('.')[0]!.replace(/[^A-Za-z0-9-]/g, '').slice(0, 48) || 'host';
  return `${label}-w${index}`;
}
