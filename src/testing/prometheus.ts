// Test support: scrape a /metrics endpoint and read values out of it, through a real parser of the
// Prometheus text format (so a scrape that parses also proves the exposition is well formed).
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { httpGet, type HttpAnswer } from './clients.js';

export class Scrape {
  readonly families: Map<string, PrometheusFamily>;
  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  }

  /** Every sample of a counter or gauge whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): { labels: Record<string, string>; value: number }[] {
    const family = this.families.get(name);
    if (!family) throw new Error(`no metric ${name} in the scrape`);
    return family.metrics
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }));
  }

  /** The sum of the matching samples (0 when none match). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((total, s) => total + s.value, 0);
  }

  /** Matching samples by the value of one label. */
  by(name: string, label: string, labels: Record<string, string> = {}): Map<string, number> {
    return new Map(this.samples(name, labels).map((s) => [s.labels[label] ?? '', s.value]));
  }

  /** Observation count and sum of a histogram, all label sets together. */
  histogram(name: string): { count: number; sum: number } {
    const family = this.families.get(name);
    if (!family || family.type !== 'HISTOGRAM') throw new Error(`no histogram ${name} in the scrape`);
    return {
      count: family.metrics.reduce((total, m) => total + Number(m.count), 0),
      sum: family.metrics.reduce((total, m) => total + Number(m.sum), 0),
    };
  }
}

/** GET a /metrics URL from a source address; throws unless it answers 200 with Prometheus text. */
export async function scrape(url: string, localAddress = '127.0.0.1'): Promise<Scrape> {
  const answer: HttpAnswer = await httpGet(url, { localAddress });
  if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${answer.body}`);
  if (!String(answer.headers['content-type']).startsWith('text/plain; version=0.0.4')) throw new Error(`GET ${url}: content-type ${String(answer.headers['content-type'])}`);
  return new Scrape(answer.body);
}
