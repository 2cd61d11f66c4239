// The address a browser is handed for a worker, from the WORKER_PUBLIC_URL template. Pure.
// socket.io-client reads a path in its URL as a namespace, so any path prefix of the template goes
// into `path` (prefix + /socket.io) and `url` is the origin alone.

export const DEFAULT_WORKER_PUBLIC_URL = '{protocol}://{hostname}:{port}';
export const SOCKET_IO_PATH = '/socket.io';
const PLACEHOLDERS = ['id', 'index', 'port', 'hostname', 'protocol'] as const;

export interface WorkerAddressValues {
  id: string;
  index: number;
  port: number;
  /** Host name the client used to reach the front (no port). */
  hostname: string;
  /** `http` or `https`, as the client reached the front. */
  protocol: string;
}

export interface WorkerAddress {
  url: string;
  path: string;
}

/** Why a template cannot work, or undefined when it is fine. */
export function checkWorkerUrlTemplate(template: string): string | undefined {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown.length > 0) return `expected only the placeholders {${PLACEHOLDERS.join('}, {')}}; found {${unknown.join('}, {')}}`;
  const sample = { id: 'w0', index: 0, port: 3131, hostname: 'example.com', protocol: 'http' };
  try {
    const url = new URL(fill(template, sample));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL template';
    if (url.search || url.hash) return 'expected a URL template without query or fragment';
  } catch {
    return 'expected a URL template such as {protocol}://{hostname}:{port} or https://rt.example.com/w/{index}';
  }
  return undefined;
}

function fill(template: string, values: Omit<WorkerAddressValues, 'port'> & { port: number | '*' }): string {
  return template.replace(/\{(id|index|port|hostname|protocol)\}/g, (_, name: keyof WorkerAddressValues) => String(values[name]));
}

/**
 * The CSP source that covers a worker slot at any port it may get (`http://127.0.0.1:*`), so a
 * page loaded before a worker respawned on a new port, or came up at all, may still reach it.
 */
export function workerSource(template: string, values: Omit<WorkerAddressValues, 'port'>): string {
  const filled = fill(template, { ...values, port: '*' });
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.exec(filled)?.[0].toLowerCase() ?? '';
}

/**
 * A worker's own address template: what it knows about itself ({id} {index} {port}) filled in,
 * {hostname} and {protocol} left for the front to fill from the request it serves.
 */
export function bindWorkerTemplate(template: string, values: { id: string; index: number; port: number }): string {
  return template.replace(/\{(id|index|port)\}/g, (_, name: 'id' | 'index' | 'port') => String(values[name]));
}

export function workerAddress(template: string, values: WorkerAddressValues): WorkerAddress {
  const url = new URL(fill(template, values));
  const prefix = url.pathname.replace(/\/+$/, '');
  return { url: url.origin, path: `${prefix}${SOCKET_IO_PATH}` };
}
