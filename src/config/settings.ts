// Every setting of sioroute in one table: its environment variable, its CLI flag, its default and
// how a raw value is parsed. The README's settings table is checked against this one by a test.
import { availableParallelism } from 'node:os';
import { checkWorkerUrlTemplate, DEFAULT_WORKER_PUBLIC_URL } from '../routing/worker-address.js';
import * as parse from './parsers.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Bind address of the front and the workers. @default '127.0.0.1' */
  readonly host: string;
  /** Front port; 0 picks a free one. @default 8080 */
  readonly port: number;
  /** Workers the embedded supervisor starts. @default available cores, at least 2 */
  readonly workers: number;
  /** Worker i listens on base + i; 0 lets each worker pick a free port. @default 3131 */
  readonly workerBasePort: number;
  /** Template of the worker address handed to browsers. @default '{protocol}://{hostname}:{port}' */
  readonly workerPublicUrl: string;
  /** Proxies whose X-Forwarded-For is believed; empty means none. @default [] */
  readonly trustProxy: readonly string[];
  /** HMAC key of routing tokens; undefined means a random one per start. @default undefined */
  readonly routingSecret: string | undefined;
  /** Lifetime of a routing token in seconds. @default 60 */
  readonly tokenTtlSeconds: number;
  /** Origins allowed besides the front's own. @default [] */
  readonly allowedOrigins: readonly string[];
  /** Redis for scale-out membership and broadcast. @default undefined */
  readonly redisUrl: string | undefined;
  /** pino log level. @default 'info' */
  readonly logLevel: LogLevel;
  /** Bits of a client's IPv4 address that make its routing key. @default 32 */
  readonly ipv4Prefix: number;
  /** Bits of a client's IPv6 address that make its routing key. @default 64 */
  readonly ipv6Prefix: number;
  /** Requests per minute one routing key may make to GET /ws-endpoint and GET /. @default 300 */
  readonly rateLimitPerMinute: number;
  /** A draining worker disconnects its WebSocket clients spread over this many seconds (polling ones at once). @default 10 */
  readonly drainSeconds: number;
  /** Path of a module exporting `register(io, context)`; undefined runs the demo. @default undefined */
  readonly handlers: string | undefined;
  /** `sioroute front` without Redis: the workers' internal base URLs, probed on /healthz. @default [] */
  readonly workerUrls: readonly string[];
  /** `sioroute worker`: its stable id (routing hashes on it). @default '{machine host name}-w{index}' */
  readonly workerId: string | undefined;
  /** `sioroute worker`: its index ({index}, port = WORKER_BASE_PORT + index); NODE_APP_INSTANCE under pm2. @default 0 */
  readonly workerIndex: number | undefined;
  /** Share of clients relative to other workers (2 takes twice as many as 1). @default 1 */
  readonly workerWeight: number;
  /** One public port: the primary owns it and hands each connection to the worker its address hashes to. @default false */
  readonly singlePort: boolean;
  /** Peer addresses/CIDRs allowed to read /metrics of the front and the workers; empty means nobody. @default ['127.0.0.0/8', '::1'] */
  readonly metricsFrom: readonly string[];
  /** Peer addresses/CIDRs allowed to read /status and /status.json of the front; empty means nobody. @default ['127.0.0.0/8', '::1'] */
  readonly statusFrom: readonly string[];
  /** Where `sioroute start` writes its pid for `sioroute restart`. @default '{temp dir}/sioroute-{PORT}.pid' */
  readonly pidFile: string | undefined;
  /** A connection must send a complete request head within this many seconds (408, then closed). @default 10 */
  readonly headersTimeoutSeconds: number;
  /** Connections one client address may hold at once on the front and on each worker; 0: no limit. @default 1000 */
  readonly maxConnectionsPerAddress: number;
  /** A client whose connection blipped may take up its session (rooms, missed broadcasts) within this many seconds; 0: off. @default 120 */
  readonly recoverySeconds: number;
}

export interface SettingSpec<K extends keyof Config = keyof Config> {
  readonly key: K;
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  /** Shown in help and docs. */
  readonly defaultText: string;
  readonly defaultValue: () => Config[K];
  readonly parse: (raw: string) => Config[K];
  /** Never echo the value in errors or logs. */
  readonly secret?: boolean;
  /** A switch: the bare flag means true; a value only as `--flag=value`. */
  readonly isSwitch?: boolean;
}

function setting<K extends keyof Config>(spec: SettingSpec<K>): SettingSpec<K> {
  return spec;
}

export const SETTINGS = [
  setting({ key: 'host', env: 'HOST', flag: '--host', description: 'bind address of the front and the workers', defaultText: '127.0.0.1', defaultValue: () => '127.0.0.1', parse: parse.host }),
  setting({ key: 'port', env: 'PORT', flag: '--port', description: 'front port; 0 picks a free one', defaultText: '8080', defaultValue: () => 8080, parse: parse.integer(0, 65535) }),
  setting({ key: 'workers', env: 'WORKERS', flag: '--workers', description: 'workers started by the embedded supervisor', defaultText: 'available cores, at least 2', defaultValue: () => Math.max(2, availableParallelism()), parse: parse.integer(1, 256) }),
  setting({ key: 'workerBasePort', env: 'WORKER_BASE_PORT', flag: '--worker-base-port', description: 'worker i listens on base+i; 0 lets each pick a free port', defaultText: '3131', defaultValue: () => 3131, parse: parse.integer(0, 65535) }),
  setting({
    key: 'workerPublicUrl', env: 'WORKER_PUBLIC_URL', flag: '--worker-public-url',
    description: 'template of the worker address handed to browsers ({id} {index} {port} {hostname} {protocol})',
    defaultText: DEFAULT_WORKER_PUBLIC_URL, defaultValue: () => DEFAULT_WORKER_PUBLIC_URL,
    parse: (raw) => {
      const problem = checkWorkerUrlTemplate(raw.trim());
      if (problem) throw new parse.ParseProblem(problem);
      return raw.trim();
    },
  }),
  setting({ key: 'trustProxy', env: 'TRUST_PROXY', flag: '--trust-proxy', description: 'addresses/CIDRs whose X-Forwarded-For is believed', defaultText: 'off', defaultValue: () => [], parse: parse.trustProxy }),
  setting({ key: 'routingSecret', env: 'ROUTING_SECRET', flag: '--routing-secret', description: 'HMAC key of routing tokens (at least 32 bytes)', defaultText: 'random per start', defaultValue: () => undefined, parse: parse.secret, secret: true }),
  setting({ key: 'tokenTtlSeconds', env: 'TOKEN_TTL_SECONDS', flag: '--token-ttl-seconds', description: 'lifetime of a routing token', defaultText: '60', defaultValue: () => 60, parse: parse.integer(1, 86_400) }),
  setting({ key: 'allowedOrigins', env: 'ALLOWED_ORIGINS', flag: '--allowed-origins', description: 'origins allowed besides the front\'s own (CORS on workers and /ws-endpoint)', defaultText: 'unset', defaultValue: () => [], parse: parse.origins }),
  setting({ key: 'redisUrl', env: 'REDIS_URL', flag: '--redis-url', description: 'Redis for scale-out membership and broadcast', defaultText: 'unset', defaultValue: () => undefined, parse: parse.redisUrl, secret: true }),
  setting({ key: 'logLevel', env: 'LOG_LEVEL', flag: '--log-level', description: 'pino log level', defaultText: 'info', defaultValue: () => 'info' as LogLevel, parse: parse.oneOf(LOG_LEVELS) }),
  setting({ key: 'ipv4Prefix', env: 'IPV4_PREFIX', flag: '--ipv4-prefix', description: 'bits of an IPv4 client address that make its routing key', defaultText: '32', defaultValue: () => 32, parse: parse.integer(0, 32) }),
  setting({ key: 'ipv6Prefix', env: 'IPV6_PREFIX', flag: '--ipv6-prefix', description: 'bits of an IPv6 client address that make its routing key', defaultText: '64', defaultValue: () => 64, parse: parse.integer(0, 128) }),
  setting({ key: 'rateLimitPerMinute', env: 'RATE_LIMIT_PER_MINUTE', flag: '--rate-limit-per-minute', description: 'requests per minute per client key to / and /ws-endpoint', defaultText: '300', defaultValue: () => 300, parse: parse.integer(1, 1_000_000) }),
  setting({ key: 'drainSeconds', env: 'DRAIN_SECONDS', flag: '--drain-seconds', description: 'a draining worker disconnects its WebSocket clients spread over this many seconds (polling clients at once)', defaultText: '10', defaultValue: () => 10, parse: parse.integer(0, 3600) }),
  setting({
    key: 'handlers', env: 'HANDLERS', flag: '--handlers', description: 'module exporting register(io, context) that every worker runs', defaultText: 'the demo',
    defaultValue: () => undefined,
    parse: (raw) => {
      if (!/\.(c|m)?js$/.test(raw.trim())) throw new parse.ParseProblem('expected the path of a JavaScript module (.js, .mjs or .cjs) exporting register(io, context)');
      return raw.trim();
    },
  }),
  setting({ key: 'workerUrls', env: 'WORKER_URLS', flag: '--worker-urls', description: '`sioroute front` without Redis: internal base URLs of the workers, probed on /healthz every second', defaultText: 'unset', defaultValue: () => [], parse: parse.workerUrls }),
  setting({ key: 'workerId', env: 'WORKER_ID', flag: '--worker-id', description: '`sioroute worker`: stable id of this worker, unique across hosts (routing hashes on it)', defaultText: '{machine host name}-w{index}', defaultValue: () => undefined, parse: parse.workerId }),
  setting({ key: 'workerIndex', env: 'WORKER_INDEX', flag: '--worker-index', description: '`sioroute worker`: index of this worker ({index}; it listens on WORKER_BASE_PORT + index)', defaultText: 'NODE_APP_INSTANCE under pm2, else 0', defaultValue: () => undefined, parse: parse.integer(0, 65535) }),
  setting({ key: 'workerWeight', env: 'WORKER_WEIGHT', flag: '--worker-weight', description: 'share of new clients relative to other workers (2 takes twice as many as 1)', defaultText: '1', defaultValue: () => 1, parse: parse.weight }),
  setting({
    key: 'singlePort', env: 'SINGLE_PORT', flag: '--single-port', isSwitch: true,
    description: 'one public port (PORT) for the page and socket.io: the primary hands each connection to the worker its address hashes to',
    defaultText: 'false', defaultValue: () => false, parse: parse.boolean,
  }),
  setting({
    key: 'metricsFrom', env: 'METRICS_FROM', flag: '--metrics-from', description: 'addresses/CIDRs allowed to read /metrics (none: nobody)',
    defaultText: '127.0.0.0/8,::1', defaultValue: () => ['127.0.0.0/8', '::1'], parse: parse.metricsFrom,
  }),
  setting({
    key: 'statusFrom', env: 'STATUS_FROM', flag: '--status-from', description: 'addresses/CIDRs allowed to read /status and /status.json (none: nobody)',
    defaultText: '127.0.0.0/8,::1', defaultValue: () => ['127.0.0.0/8', '::1'], parse: parse.metricsFrom,
  }),
  setting({
    key: 'pidFile', env: 'PID_FILE', flag: '--pid-file', description: '`sioroute start` writes its pid there; `sioroute restart` reads it (and checks it is a live sioroute)',
    defaultText: '{temp dir}/sioroute-{PORT}.pid', defaultValue: () => undefined, parse: parse.path,
  }),
  setting({ key: 'headersTimeoutSeconds', env: 'HEADERS_TIMEOUT_SECONDS', flag: '--headers-timeout-seconds', description: 'a connection must send a complete request head within this many seconds (else 408, closed)', defaultText: '10', defaultValue: () => 10, parse: parse.integer(1, 300) }),
  setting({
    key: 'maxConnectionsPerAddress', env: 'MAX_CONNECTIONS_PER_ADDRESS', flag: '--max-connections-per-address',
    description: 'connections one client address may hold at once on the front and on each worker (0: no limit); over it, closed unread',
    defaultText: '1000', defaultValue: () => 1000, parse: parse.integer(0, 1_000_000),
  }),
  setting({
    key: 'recoverySeconds', env: 'RECOVERY_SECONDS', flag: '--recovery-seconds',
    description: 'a client whose connection blipped takes up its session (rooms, missed broadcasts) on the same worker within this many seconds (0: off)',
    defaultText: '120', defaultValue: () => 120, parse: parse.integer(0, 86_400),
  }),
] as const satisfies readonly SettingSpec[];
