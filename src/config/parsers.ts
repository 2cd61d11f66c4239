// Small pure parsers for setting values. Each returns the parsed value or throws a ParseProblem
// whose text says what is expected, so the loader can name the setting and the value around it.
import { isIP } from 'node:net';

export class ParseProblem extends Error {}

export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^[0-9]+$/.test(raw.trim())) throw new ParseProblem(`expected an integer from ${min} to ${max}`);
    const value = Number(raw.trim());
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new ParseProblem(`expected an integer from ${min} to ${max}`);
    return value;
  };
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    const value = raw.trim().toLowerCase();
    if (!(values as readonly string[]).includes(value)) throw new ParseProblem(`expected one of ${values.join(', ')}`);
    return value as T;
  };
}

export function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function host(raw: string): string {
  const value = raw.trim();
  if (isIP(value) || HOSTNAME.test(value)) return value;
  throw new ParseProblem('expected an IP address or a host name to bind, e.g. 127.0.0.1 or 0.0.0.0');
}

/** fastify's trustProxy accepts addresses, CIDRs and the names proxy-addr knows. */
export const ADDRESS_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

function isAddressRange(entry: string): boolean {
  if ((ADDRESS_RANGE_NAMES as readonly string[]).includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  const prefixOk = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
  return family !== 0 && prefixOk && extra === undefined;
}

/** A list of addresses, CIDRs and range names; `off`/`none` is the empty list. */
function addressRanges(what: string) {
  return (raw: string): string[] => {
    if (['off', 'false', 'none', ''].includes(raw.trim().toLowerCase())) return [];
    const entries = list(raw);
    for (const entry of entries) {
      if (isAddressRange(entry)) continue;
      throw new ParseProblem(`expected a comma-separated list of ${what} addresses or CIDRs (or ${ADDRESS_RANGE_NAMES.join(', ')}); "${entry}" is neither`);
    }
    return entries;
  };
}

export const trustProxy = addressRanges('proxy');

/** Who may read /metrics. */
export const metricsFrom = addressRanges('scraper');

export function origins(raw: string): string[] {
  const entries = list(raw);
  for (const entry of entries) {
    if (entry === '*') throw new ParseProblem('expected a comma-separated list of origins such as https://app.example.com; "*" is refused, list the origins');
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ParseProblem(`expected a comma-separated list of origins such as https://app.example.com; "${entry}" is not a URL`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new ParseProblem(`expected origins only (scheme://host[:port], no path); "${entry}" is not one`);
    }
  }
  return entries.map((e) => new URL(e).origin);
}

export function redisUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return raw.trim();
  } catch {
    // fall through to the problem below
  }
  throw new ParseProblem('expected a redis:// or rediss:// URL');
}

export function secret(raw: string): string {
  if (Buffer.byteLength(raw) < 32) throw new ParseProblem('expected at least 32 bytes (e.g. the output of: openssl rand -hex 32)');
  return raw;
}

export function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ParseProblem('expected true or false');
}

export function workerUrls(raw: string): string[] {
  const entries = list(raw);
  if (entries.length === 0) throw new ParseProblem('expected a comma-separated list of worker base URLs such as http://10.0.0.2:3131');
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ParseProblem(`expected a comma-separated list of worker base URLs such as http://10.0.0.2:3131; "${entry}" is not a URL`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
      throw new ParseProblem(`expected http(s) base URLs without query or fragment; "${entry}" is not one`);
    }
    return url.href.replace(/\/+$/, '');
  });
}

/** Worker ids go into tokens, logs and Redis keys: a short, plain alphabet. */
export function workerId(raw: string): string {
  const value = raw.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)) throw new ParseProblem('expected 1 to 64 characters from A-Z a-z 0-9 _ - (starting with a letter or digit)');
  return value;
}

export function weight(raw: string): number {
  const value = Number(raw.trim());
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw.trim()) || !(value > 0) || value > 1000) throw new ParseProblem('expected a number greater than 0 and at most 1000, e.g. 1 or 2.5');
  return value;
}

/** A file path: no control characters, not empty. */
export function path(raw: string): string {
  const value = raw.trim();
  if (value === '' || /[\u0000-\u001f]/.test(value)) throw new ParseProblem('expected a file path');
  return value;
}
