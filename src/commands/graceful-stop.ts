// The one shutdown path of every process: the first stop signal (or a manual stop) runs `stop`,
// bounded by a delay; a second signal exits at once; a crash is logged and exits 1.
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

export interface GracefulStopOptions {
  readonly logger: Logger;
  /** After this long the process exits 1 whatever `stop` is doing. */
  readonly delayMs: number;
  /** Signals this process handles otherwise (SIGHUP: rolling restart; SIGINT in a child: the supervisor decides). */
  readonly skip?: readonly closeWithGrace.AllEvents[];
  /** Runs on a second signal, before the process exits at once. */
  readonly onSecondSignal?: () => void;
  readonly stop: (reason: { signal?: string; err?: Error; manual?: boolean }) => Promise<void>;
}

export interface GracefulStop {
  /** Stop now, as a signal would. */
  close(): void;
}

export function gracefulStop(options: GracefulStopOptions): GracefulStop {
  const { logger } = options;
  const handle = closeWithGrace(
    {
      delay: options.delayMs,
      skip: [...(options.skip ?? [])],
      logger: { error: (message: string) => logger.error(message) },
      onSecondSignal: (signal: string) => {
        logger.warn({ signal }, 'second signal: stopping at once');
        options.onSecondSignal?.();
      },
      onTimeout: (delay: number) => logger.warn({ delayMs: delay }, 'stop took too long: exiting'),
    },
    async ({ signal, err, manual }) => {
      if (err) logger.fatal({ err }, 'uncaught error; exiting');
      else logger.info({ signal: signal ?? (manual ? 'manual' : undefined) }, 'stopping');
      await options.stop({ ...(signal ? { signal } : {}), ...(err ? { err } : {}), ...(manual ? { manual } : {}) });
    },
  );
  return { close: () => handle.close() };
}
