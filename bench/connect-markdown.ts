// The connection-setup section of the report: one row per way of connecting, its ratios against the
// peers next to the targets, what each lever gains, and what each row does.
import { BEFORE, CONNECT_ROWS, isOurs, rowOf, TARGETS, type RowName } from './connect-rows.js';
import type { ConnectResult } from './connect.js';
import { fmt, int, ratio } from './data-path.js';

const clockCovers = (name: RowName): string => {
  const row = rowOf(name);
  if (row.path !== 'spa') return 'connect';
  return `GET /ws-endpoint (${row.front === 'kept-alive' ? 'open connection' : 'new connection'}) + connect`;
};

const transportsOf = (name: RowName): string => (rowOf(name).transports === 'default' ? 'WebSocket, polling fallback' : 'polling, then upgrade');

export function connectMarkdown(r: ConnectResult): string {
  const peers = r.rows.filter((n) => !isOurs(n));
  const targets = TARGETS.filter((t) => peers.includes(t.peer));
  const lines = [
    `${r.clients} clients connected 100 at a time, each from its own loopback address, all kept open until the last is up; ${r.runs} run(s), rows interleaved and rotated every run; median (min-max). Measured on ${r.measuredAt.slice(0, 10)} by \`node dist/bench/connect.js --clients ${r.clients} --runs ${r.runs}\`.`,
    '',
    `| row | transports | the clock covers | seconds for all | connects/s | failures | ${peers.map((p) => `speed ÷ ${p}${targets.find((t) => t.peer === p) ? ` (target ≥ ${targets.find((t) => t.peer === p)!.atLeast}x)` : ''}`).join(' | ')} | gain over before |`,
    `| --- | --- | --- | --- | --- | --- | ${peers.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const name of r.rows) {
    const f = r.byRow[name]!;
    const vs = r.vs[name];
    const cells = peers.map((p) => {
      if (!vs?.[p]) return '-';
      const target = targets.find((t) => t.peer === p);
      return `${fmt(vs[p], ratio)}${target ? (vs[p].median >= target.atLeast ? ' met' : ' **missed**') : ''}`;
    });
    const gain = r.gain[name];
    lines.push(`| ${CONNECT_ROWS[name].label} | ${transportsOf(name)} | ${clockCovers(name)} | ${fmt(f.seconds, (v) => v.toFixed(2))} | ${fmt(f.connectsPerSecond, int)} | ${f.failures} | ${cells.join(' | ')} | ${gain ? fmt(gain, ratio) : name === BEFORE ? '1x' : '-'} |`);
  }
  lines.push(
    '',
    `Speed ratio: the peer's time ÷ the row's, per run (above 1: sioroute connects faster). Gain: the time of sioroute's client as it was (${CONNECT_ROWS[BEFORE].label}) ÷ the row's, per run. A client counts as connected at socket.io's \`connect\` event (its namespace joined); a polling-first client upgrades after that, while later batches connect.`,
    '',
    'What each row does:',
    ...r.rows.map((name) => `- **${CONNECT_ROWS[name].label}**: ${CONNECT_ROWS[name].does}.`),
    '',
    'The front owns its port in every sioroute row: it listens itself and nothing relays the resolve or the socket. Single-port mode, where the primary owns the one public port and passes each connection on, is compared in its own section.',
  );
  if (r.problems.length) lines.push('', `**Problems:** ${r.problems.join('; ')}`);
  return lines.join('\n');
}
