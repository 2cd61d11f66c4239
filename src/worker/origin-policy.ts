// Which browser origins may talk to a worker. Pure.
// Allowed: the configured ALLOWED_ORIGINS, and the front's own origin, which is the host the browser
// used to reach this worker at the front's port (the front hands out {hostname} from the request it
// served), or this very origin when a path-routing proxy puts the front and the workers on one origin.
// A request with no Origin header is not from a browser page and cannot be a cross-site attack.

export interface OriginPolicy {
  readonly allowedOrigins: readonly string[];
  /** Port of the front, as browsers see it (undefined when unknown: only listed origins then). */
  readonly frontPort: number | undefined;
}

export interface RequestFacts {
  readonly origin: string | undefined;
  /** The request's Host header. */
  readonly host: string | undefined;
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : '80');

export function isOriginAllowed(policy: OriginPolicy, request: RequestFacts): boolean {
  const { origin, host } = request;
  if (origin === undefined) return true;
  if (policy.allowedOrigins.includes(origin)) return true;
  let parsed: URL;
  let hostUrl: URL;
  try {
    parsed = new URL(origin);
    hostUrl = new URL(`${parsed.protocol}//${host ?? ''}`);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (parsed.hostname !== hostUrl.hostname) return false;
  const originPort = parsed.port || defaultPort(parsed.protocol);
  const hostPort = hostUrl.port || defaultPort(parsed.protocol);
  return originPort === hostPort || (policy.frontPort !== undefined && originPort === String(policy.frontPort));
}

/** Origin and Host pairs whose verdict is remembered. */
const ORIGIN_VERDICTS_MAX = 256;

/**
 * The policy as a check of raw requests, remembered per Origin and Host pair: it is asked for
 * every polling request (CORS) and handshake, a browser sends the same pair each time, and the
 * check parses both as URLs. Bounded: both headers are written by clients.
 */
export function createOriginCheck(policy: OriginPolicy): (req: { headers: { origin?: string | string[] | undefined; host?: string | undefined } }) => boolean {
  const verdicts = new Map<string, boolean>();
  return (req) => {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (origin === undefined) return true;
    // A line break cannot occur in a header value: no two pairs share a memo key.
    const memoKey = `${origin}\n${req.headers.host ?? ''}`;
    let verdict = verdicts.get(memoKey);
    if (verdict === undefined) {
      verdict = isOriginAllowed(policy, { origin, host: req.headers.host });
      if (verdicts.size >= ORIGIN_VERDICTS_MAX) verdicts.clear();
      verdicts.set(memoKey, verdict);
    }
    return verdict;
  };
}
