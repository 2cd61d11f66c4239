// Geometry of the clients-per-worker chart on /status: one bar per worker, coloured by state.
// Pure, with no DOM and no Node APIs: the front renders the first paint with it (views/status.eta)
// and the page's script (status.ts) redraws with it, so both always draw the same picture.

export interface ChartWorker {
  readonly id: string;
  readonly state: string;
  readonly clients: number;
}

export interface ChartBar {
  readonly id: string;
  readonly state: string;
  readonly clients: number;
  /** Top of the row. */
  readonly y: number;
  readonly width: number;
  readonly fill: string;
}

export interface ChartLayout {
  readonly width: number;
  readonly height: number;
  readonly rowHeight: number;
  /** Where bars start (after the worker id). */
  readonly barX: number;
  readonly bars: readonly ChartBar[];
}

export const STATE_COLOURS: Readonly<Record<string, string>> = {
  ready: '#2f855a',
  starting: '#2b6cb0',
  draining: '#c05621',
  unhealthy: '#c53030',
};
const UNKNOWN_STATE_COLOUR = '#718096';

const WIDTH = 600;
const ROW_HEIGHT = 28;
const BAR_X = 60;
/** Room left for the count after the longest bar. */
const BAR_MAX = 440;

export function stateColour(state: string): string {
  return STATE_COLOURS[state] ?? UNKNOWN_STATE_COLOUR;
}

export function chartLayout(workers: readonly ChartWorker[]): ChartLayout {
  const max = Math.max(1, ...workers.map((w) => w.clients));
  return {
    width: WIDTH,
    height: Math.max(1, workers.length) * ROW_HEIGHT,
    rowHeight: ROW_HEIGHT,
    barX: BAR_X,
    bars: workers.map((w, i) => ({
      id: w.id,
      state: w.state,
      clients: w.clients,
      y: i * ROW_HEIGHT,
      width: Math.round((BAR_MAX * w.clients) / max),
      fill: stateColour(w.state),
    })),
  };
}
