// The options of the routing plug-ins (sioroute/fastify, sioroute/express): checked once at
// registration, each error naming the option, its value and what is expected.
import type { MembershipSource } from '../registry/membership-source.js';
import { DEFAULT_WORKER_PUBLIC_URL, checkWorkerUrlTemplate } from '../routing/worker-address.js';
import * as parse from '../config/parsers.js';

export interface RoutingOptions {
  /** Who is alive: `staticMembership(...)`, `redisMembership(...)`, or the supervisor's. Closed with the app. */
  readonly membership: MembershipSource;
  /** HMAC key of routing tokens, the same on every front and worker; at least 32 bytes. */
  readonly secret: string;
  /** Origins besides the page's own that may call `<prefix>/ws-endpoint` (CORS). `*` is refused. @default [] */
  readonly allowedOrigins?: readonly string[];
  /**
   * Proxies whose X-Forwarded-For/-Host/-Proto are believed, as addresses, CIDRs or `loopback`,
   * `linklocal`, `uniquelocal`. @default the app's own (fastify `trustProxy`, express `trust proxy`)
   */
  readonly trustProxy?: readonly string[];
  /** Mount point of the route: `<prefix>/ws-endpoint`. @default '' */
  readonly prefix?: string;
  /** Lifetime of a routing token in seconds. @default 60 */
  readonly tokenTtlSeconds?: number;
  /** Worker address template; `{id}` `{index}` `{port}` `{hostname}` `{protocol}`. @default '{protocol}://{hostname}:{port}' */
  readonly workerPublicUrl?: string;
  /** Bits of a client's IPv4 address that make its routing key. @default 32 */
  readonly ipv4Prefix?: number;
  /** Bits of a client's IPv6 address that make its routing key. @default 64 */
  readonly ipv6Prefix?: number;
  /** Requests per minute one routing key may make to `<prefix>/ws-endpoint`. @default 300 */
  readonly rateLimitPerMinute?: number;
  /** Used for `{hostname}` when a request's Host header is unusable (a bind address that is not a wildcard). @default none: 400 */
  readonly fallbackHost?: string;
  /** Told of every answer's worker, e.g. to count answers. */
  readonly onAnswer?: (workerId: string) => void;
  /** Told of every request to `<prefix>/ws-endpoint` turned away, by code (RATE_LIMITED, NO_HEALTHY_WORKER...). */
  readonly onRefused?: (code: string) => void;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export type CheckedRoutingOptions = Required<Omit<RoutingOptions, 'trustProxy' | 'fallbackHost' | 'onAnswer' | 'onRefused'>> &
  Pick<RoutingOptions, 'trustProxy' | 'fallbackHost' | 'onAnswer' | 'onRefused'>;

export class SiorouteOptionError extends TypeError {
  override readonly name = 'SiorouteOptionError';
  readonly code = 'SIOROUTE_INVALID_OPTION';
}

/** Shown in errors: never a secret's value. */
function shown(name: string, value: unknown): string {
  if (name === 'secret') return typeof value === 'string' ? `(a string of ${Buffer.byteLength(value)} bytes)` : `(${typeof value})`;
  if (typeof value === 'function') return '(a function)';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function optionError(owner: string, name: string, value: unknown, expected: string): SiorouteOptionError {
  return new SiorouteOptionError(`${owner}: invalid option ${name}=${shown(name, value)}: ${expected}`);
}

function integerIn(owner: string, name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw optionError(owner, name, value, `expected an integer from ${min} to ${max}`);
  return value;
}

function viaParser<T>(owner: string, name: string, value: unknown, parser: (raw: string) => T, isList: boolean): T {
  if (isList && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) throw optionError(owner, name, value, 'expected an array of strings');
  if (!isList && typeof value !== 'string') throw optionError(owner, name, value, 'expected a string');
  try {
    return parser(isList ? (value as string[]).join(',') : (value as string));
  } catch (error) {
    throw optionError(owner, name, value, (error as Error).message);
  }
}

export function isMembershipSource(value: unknown): value is MembershipSource {
  const source = value as Partial<MembershipSource> | null;
  return typeof source === 'object' && source !== null && typeof source.membership?.routingTable === 'function' && typeof source.close === 'function';
}

export function checkRoutingOptions(owner: string, options: RoutingOptions): CheckedRoutingOptions {
  if (typeof options !== 'object' || options === null) throw optionError(owner, 'options', options, 'expected an object');
  if (!isMembershipSource(options.membership)) {
    throw optionError(owner, 'membership', options.membership, 'expected a membership source such as staticMembership({ urls }) or redisMembership({ url })');
  }
  const secret = viaParser(owner, 'secret', options.secret, parse.secret, false);
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || !/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) throw optionError(owner, 'prefix', prefix, "expected '' or a path such as /realtime (no trailing slash)");
  const template = options.workerPublicUrl ?? DEFAULT_WORKER_PUBLIC_URL;
  const templateProblem = typeof template === 'string' ? checkWorkerUrlTemplate(template) : 'expected a string';
  if (templateProblem) throw optionError(owner, 'workerPublicUrl', template, templateProblem);
  for (const name of ['onAnswer', 'onRefused', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw optionError(owner, name, options[name], 'expected a function');
  }
  return {
    membership: options.membership,
    secret,
    allowedOrigins: options.allowedOrigins === undefined ? [] : viaParser(owner, 'allowedOrigins', options.allowedOrigins, parse.origins, true),
    ...(options.trustProxy === undefined ? {} : { trustProxy: viaParser(owner, 'trustProxy', options.trustProxy, parse.trustProxy, true) }),
    prefix,
    tokenTtlSeconds: integerIn(owner, 'tokenTtlSeconds', options.tokenTtlSeconds, 1, 86_400, 60),
    workerPublicUrl: template,
    ipv4Prefix: integerIn(owner, 'ipv4Prefix', options.ipv4Prefix, 0, 32, 32),
    ipv6Prefix: integerIn(owner, 'ipv6Prefix', options.ipv6Prefix, 0, 128, 64),
    rateLimitPerMinute: integerIn(owner, 'rateLimitPerMinute', options.rateLimitPerMinute, 1, 1_000_000, 300),
    ...(options.fallbackHost === undefined ? {} : { fallbackHost: options.fallbackHost }),
    ...(options.onAnswer === undefined ? {} : { onAnswer: options.onAnswer }),
    ...(options.onRefused === undefined ? {} : { onRefused: options.onRefused }),
    now: options.now ?? Date.now,
  };
}
