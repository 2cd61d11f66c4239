// The memory benchmark's section of the report (bench/memory.ts measures).
import type { MemoryResult, SystemFigures } from './memory.js';

/** The issue's targets for a sioroute worker: at most this share of bare socket.io's, and at most this many bytes. */
export const TARGET_RATIO = 0.6;
export const TARGET_BYTES = 10 * 1024;

const kib = (bytes: number | null): string => (bytes === null ? '–' : `${(bytes / 1024).toFixed(2)} KiB`);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** What `name` costs per connection over `base`, RSS and heap, e.g. "+5.3 KiB RSS / +5.4 KiB heap". */
function added(name: string, base: string, by: Map<string, SystemFigures>): string | null {
  const a = by.get(name);
  const b = by.get(base);
  if (!a || !b) return null;
  const heap = a.heapPerConnection !== null && b.heapPerConnection !== null ? ` / ${sign(a.heapPerConnection - b.heapPerConnection)} heap` : '';
  return `${sign(a.rssPerConnection - b.rssPerConnection)} RSS${heap}`;
}
const sign = (bytes: number): string => `${bytes < 0 ? '−' : '+'}${kib(Math.abs(bytes))}`;

export function memoryMarkdown(result: MemoryResult): string {
  const by = new Map(result.systems.map((s) => [s.name, s]));
  const bare = by.get('bare');
  const ratio = (s: SystemFigures) => (bare && bare.rssPerConnection > 0 ? `${(s.rssPerConnection / bare.rssPerConnection).toFixed(2)}x` : '–');
  const rows = result.systems.map(
    (s) => `| ${s.label} | ${s.low.connections} → ${s.high.connections}${s.failed ? ` (${s.failed} failed)` : ''} | ${mib(s.low.rssBytes)} → ${mib(s.high.rssBytes)} | **${kib(s.rssPerConnection)}** | ${kib(s.heapPerConnection)} | ${ratio(s)} |`,
  );
  const layers = [
    ['node TCP socket', by.get('tcp') ? `${kib(by.get('tcp')!.rssPerConnection)} RSS / ${kib(by.get('tcp')!.heapPerConnection)} heap` : null],
    ['ws', added('ws', 'tcp', by)],
    ['engine.io', added('eio', 'ws', by)],
    ['socket.io', added('bare', 'eio', by)],
    ['sioroute over bare socket.io', added('sioroute', 'bare', by)],
  ].filter((l): l is [string, string] => l[1] !== null);
  const verdicts: string[] = [];
  const ours = by.get('sioroute');
  if (ours && bare) {
    const r = ours.rssPerConnection / bare.rssPerConnection;
    verdicts.push(
      `sioroute ÷ bare socket.io: **${r.toFixed(2)}x** (target at most ${TARGET_RATIO}x: ${r <= TARGET_RATIO ? 'met' : 'missed'}); ` +
        `per connection **${kib(ours.rssPerConnection)}** (target at most ${kib(TARGET_BYTES)}: ${ours.rssPerConnection <= TARGET_BYTES ? 'met' : 'missed'}).`,
    );
  }
  return [
    `Marginal memory per idle WebSocket connection: each system's clients went from ${result.low} to ${result.high} connections, ` +
      `spread over ${result.processes} server processes per system (${result.generators} client processes, each client from its own loopback address; Node ${result.node}). ` +
      `Per connection = (sum of the processes' RSS at ${result.high} − at ${result.low}) ÷ the connections added; RSS is the median of 5 readings of /proc VmRSS ` +
      `after a 3 s settle; heap is heapUsed after two full collections, where the process can be asked (not sioroute's workers). Whole run ${result.seconds.toFixed(0)} s.`,
    '',
    '| system | connections | RSS, sum (MiB) | RSS per connection | heap per connection | ÷ bare |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...(layers.length ? [`Per layer: ${layers.map(([n, v]) => `${n} ${v}`).join('; ')}.`, ''] : []),
    ...verdicts,
    ...(result.problems.length ? ['', `Problems: ${result.problems.join('; ')}.`] : []),
  ].join('\n');
}
