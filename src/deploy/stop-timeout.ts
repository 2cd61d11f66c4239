// How long a process manager must wait between SIGTERM and SIGKILL. A worker given SIGTERM moves its
// clients away spread over DRAIN_SECONDS, then closes (bounded at 4 s by the CLI): DRAIN_SECONDS + 5
// covers both. pm2's kill_timeout in ecosystem.config.cjs uses the same figure.
import type { Config } from '../config/settings.js';

export const STOP_MARGIN_SECONDS = 5;

export function stopTimeoutSeconds(config: Pick<Config, 'drainSeconds'>): number {
  return config.drainSeconds + STOP_MARGIN_SECONDS;
}
