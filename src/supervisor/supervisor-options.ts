// What the supervisor is given, and what it tells once the cluster is up.
import type { Logger } from 'pino';
import type { Config } from '../config/settings.js';

export interface SupervisorOptions {
  readonly config: Config;
  readonly secret: string;
  readonly logger: Logger;
  /** The script children run: the CLI, which dispatches on SIOROUTE_ROLE. */
  readonly exec: string;
  /** A ready worker that sends no heartbeat for this long is taken out of routing. @default 1500 */
  readonly heartbeatTimeoutMs?: number;
  /** ... and killed and replaced after this long. @default 5000 */
  readonly hangKillMs?: number;
  /** A replacement not ready this long after its drain started fails a rolling restart. @default 30_000 */
  readonly replaceTimeoutMs?: number;
  /** Children still running this long after a shutdown request are killed. @default 5000 */
  readonly shutdownTimeoutMs?: number;
}

export interface ClusterInfo {
  frontUrl: string;
  frontPort: number;
  workers: { id: string; port: number; pid: number }[];
}
