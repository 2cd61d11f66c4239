// The options of attachWorker, checked once: each error names the option, its value and what is
// expected, and never shows a secret.
import type { Logger } from 'pino';
import pino from 'pino';
import type { Registry } from 'prom-client';
import * as parse from '../config/parsers.js';
import { optionError } from '../front/routing-options.js';
import { DEFAULT_WORKER_PUBLIC_URL, checkWorkerUrlTemplate } from '../routing/worker-address.js';
import type { WorkerRegistration } from './worker-registration.js';

export interface AttachWorkerOptions {
  /** Stable id of this worker, unique among the workers fronts see; routing hashes on it. */
  readonly workerId: string;
  /** HMAC key of routing tokens, the same as the fronts'; at least 32 bytes. */
  readonly secret: string;
  /** Origins besides the front's own whose pages may connect (CORS and the WebSocket Origin check). @default [] */
  readonly allowedOrigins?: readonly string[];
  /** The front's port as browsers see it: pages it served on this host may connect. @default none */
  readonly frontPort?: number;
  /** Namespaces that take sockets without a routing token, e.g. `['/admin']` for @socket.io/admin-ui. @default [] */
  readonly exemptNamespaces?: readonly string[];
  /** How fronts learn of this worker: `redisRegistration({ url })`, or none (a front's static list probes /healthz). */
  readonly registration?: WorkerRegistration;
  /** Index of this worker: fills `{index}` of the address template. @default 0 */
  readonly index?: number;
  /** The address template browsers get ({id} {index} {port} {hostname} {protocol}). @default '{protocol}://{hostname}:{port}' */
  readonly publicUrl?: string;
  /** Share of new clients relative to other workers. @default 1 */
  readonly weight?: number;
  /** The port when io's server never listens itself (connections handed over). @default the server's bound port */
  readonly port?: number;
  /** Serve /healthz, /livez, /readyz and /metrics on io's HTTP server. @default true */
  readonly routes?: boolean;
  /** Answer CORS for the allowed origins (leave socket.io's own `cors` option unset). @default true */
  readonly cors?: boolean;
  /** Peers (addresses, CIDRs, loopback...) that may read /metrics. @default ['127.0.0.0/8', '::1'] */
  readonly metricsFrom?: readonly string[];
  /** Where the worker's metrics live. @default a new registry */
  readonly metricsRegistry?: Registry;
  /**
   * Keep only what socket.io reads of each session's handshake request (headers, url, query, the
   * TCP socket), about 0.7 KiB less per connection: `socket.request` becomes that stand-in, so
   * what a middleware stored on the request (e.g. express-session's) is gone. @default false
   */
  readonly releaseHandshakeRequests?: boolean;
  /** @default a silent logger */
  readonly logger?: Logger;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export interface CheckedAttachOptions {
  readonly workerId: string;
  readonly secret: string;
  readonly allowedOrigins: readonly string[];
  readonly frontPort: number | undefined;
  readonly exempt: ReadonlySet<string>;
  readonly registration: WorkerRegistration | undefined;
  readonly index: number;
  readonly publicUrl: string;
  readonly weight: number;
  readonly port: number | undefined;
  readonly routes: boolean;
  readonly cors: boolean;
  readonly releaseHandshakeRequests: boolean;
  readonly metricsFrom: readonly string[];
  readonly metricsRegistry: Registry | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

const OWNER = 'attachWorker';

function parsed<T>(name: string, value: unknown, parser: (raw: string) => T): T {
  const raw = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(',') : value;
  if (typeof raw !== 'string') throw optionError(OWNER, name, value, Array.isArray(value) ? 'expected an array of strings' : 'expected a string');
  try {
    return parser(raw);
  } catch (error) {
    throw optionError(OWNER, name, value, (error as Error).message);
  }
}

function port(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw optionError(OWNER, name, value, 'expected an integer from 1 to 65535');
  return value;
}

export function checkAttachOptions(options: AttachWorkerOptions): CheckedAttachOptions {
  if (typeof options !== 'object' || options === null) throw optionError(OWNER, 'options', options, 'expected an object');
  const exempt = options.exemptNamespaces ?? [];
  if (!Array.isArray(exempt) || exempt.some((n) => typeof n !== 'string' || !/^\/[^\s]+$/.test(n))) {
    throw optionError(OWNER, 'exemptNamespaces', exempt, "expected an array of namespace names such as '/admin' (the main namespace '/' cannot be exempt)");
  }
  const index = options.index ?? 0;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 65535) throw optionError(OWNER, 'index', index, 'expected an integer from 0 to 65535');
  const publicUrl = options.publicUrl ?? DEFAULT_WORKER_PUBLIC_URL;
  const templateProblem = typeof publicUrl === 'string' ? checkWorkerUrlTemplate(publicUrl) : 'expected a string';
  if (templateProblem) throw optionError(OWNER, 'publicUrl', publicUrl, templateProblem);
  const registration = options.registration;
  if (registration !== undefined && (typeof registration !== 'object' || typeof registration.join !== 'function')) {
    throw optionError(OWNER, 'registration', registration, 'expected a registration such as redisRegistration({ url })');
  }
  return {
    workerId: parsed('workerId', options.workerId, parse.workerId),
    secret: parsed('secret', options.secret, parse.secret),
    allowedOrigins: options.allowedOrigins === undefined ? [] : parsed('allowedOrigins', options.allowedOrigins, parse.origins),
    frontPort: port('frontPort', options.frontPort),
    exempt: new Set(exempt),
    registration,
    index,
    publicUrl,
    weight: options.weight === undefined ? 1 : parsed('weight', String(options.weight), parse.weight),
    port: port('port', options.port),
    routes: options.routes ?? true,
    cors: options.cors ?? true,
    releaseHandshakeRequests: options.releaseHandshakeRequests ?? false,
    metricsFrom: options.metricsFrom === undefined ? ['127.0.0.0/8', '::1'] : parsed('metricsFrom', options.metricsFrom, parse.metricsFrom),
    metricsRegistry: options.metricsRegistry,
    logger: options.logger ?? pino({ level: 'silent' }),
    now: options.now ?? Date.now,
  };
}
