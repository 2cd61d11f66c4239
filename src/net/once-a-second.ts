// A log line that may be asked for by every bad connection of a flood: written at most once per
// interval, with how many were held back since the last one.
import type { Logger } from 'pino';

export function onceEvery(logger: Logger, intervalMs: number, message: string): (fields?: Record<string, unknown>) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let heldBack = 0;
  return (fields = {}) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      heldBack += 1;
      return;
    }
    lastAt = now;
    logger.warn({ ...fields, alsoSince: heldBack }, message);
    heldBack = 0;
  };
}
