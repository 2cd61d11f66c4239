// The /status page made live: every 2 s it fetches /status.json and redraws the chart of clients
// per worker, the headline and the table, in place. Without JavaScript the page keeps the picture
// the front rendered. <body data-live> says which: `on` once a refresh has drawn, `off` before.
import { chartLayout, type ChartLayout } from './status-chart.js';
import { byId } from './page-element.js';

const REFRESH_MS = 2_000;
const FETCH_TIMEOUT_MS = 5_000;
const SVG = 'http://www.w3.org/2000/svg';

/** The part of /status.json this page draws. */
interface StatusView {
  status: string;
  workers: { healthy: number; total: number };
  clients: number;
  at: string;
  list: { id: string; state: string; port: number; pid: number; weight: number; clients: number; routingAnswers: number; startedAt: string }[];
}

const ui = {
  health: byId('status-health'),
  ready: byId('status-ready'),
  total: byId('status-total'),
  clients: byId('status-clients'),
  updated: byId('status-updated'),
  chart: byId<SVGSVGElement>('status-chart'),
  rows: byId<HTMLTableSectionElement>('status-rows'),
};

function svg(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The same markup as views/status.eta, from the same layout. */
function drawChart(layout: ChartLayout): void {
  ui.chart.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
  const groups = layout.bars.map((bar) => {
    const g = svg('g', { 'data-worker-id': bar.id, 'data-state': bar.state, 'data-clients': bar.clients });
    const rect = svg('rect', { x: layout.barX, y: bar.y + 4, height: 18, width: bar.width, fill: bar.fill });
    rect.append(svg('title', {}, `${bar.id}: ${bar.state}`));
    g.append(
      svg('text', { x: 0, y: bar.y + 18, 'font-size': 14 }, bar.id),
      rect,
      svg('text', { x: layout.barX + bar.width + 6, y: bar.y + 18, 'font-size': 14 }, String(bar.clients)),
    );
    return g;
  });
  ui.chart.replaceChildren(...groups);
}

function drawRows(list: StatusView['list']): void {
  ui.rows.replaceChildren(
    ...list.map((w) => {
      const tr = document.createElement('tr');
      tr.dataset.workerId = w.id;
      for (const value of [w.id, w.state, w.port, w.pid, w.weight, w.clients, w.routingAnswers, w.startedAt]) {
        const td = document.createElement('td');
        td.textContent = String(value);
        tr.append(td);
      }
      return tr;
    }),
  );
}

function draw(view: StatusView): void {
  ui.health.textContent = view.status;
  ui.ready.textContent = String(view.workers.healthy);
  ui.total.textContent = String(view.workers.total);
  ui.clients.textContent = String(view.clients);
  drawChart(chartLayout(view.list));
  drawRows(view.list);
  ui.updated.textContent = `Live: refreshed every ${REFRESH_MS / 1000} s, last at ${new Date(view.at).toLocaleTimeString()}.`;
  document.body.dataset.live = 'on';
}

function isStatusView(value: unknown): value is StatusView {
  const v = value as Partial<StatusView> | null;
  return typeof v === 'object' && v !== null && typeof v.status === 'string' && typeof v.clients === 'number' && Array.isArray(v.list);
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch('/status.json', { cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const body: unknown = await response.json();
    if (!response.ok || !isStatusView(body)) throw new Error(`/status.json answered ${response.status}`);
    draw(body);
  } catch (error) {
    // Keep the last picture and say it is stale; the next round tries again.
    ui.updated.textContent = `Not refreshed (${(error as Error).message}); retrying every ${REFRESH_MS / 1000} s.`;
  } finally {
    // One request at a time: the next one starts only after this one ended.
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

void refresh();
