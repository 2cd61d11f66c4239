import type { Logger } from 'pino';

/** What a worker tells the application handlers about itself. */
export interface WorkerContext {
  readonly workerId: string;
  readonly index: number;
  readonly pid: number;
  /** The port the worker listens on. */
  readonly port: number;
  readonly logger: Logger;
}

/** The signature of a handlers module: `export function register(io, context)`. */
export type RegisterHandlers = (io: import('socket.io').Server, context: WorkerContext) => void | Promise<void>;
