// The IPC channel between a child and the embedded supervisor, as a value that can be passed
// (and replaced in tests): typed sends, and listeners that see only the supervisor's messages.
import { isSupervisorMessage, type ChildToSupervisor, type SupervisorToChild } from './ipc-messages.js';

export interface ChildChannel {
  send(message: ChildToSupervisor): void;
  /** Messages from the supervisor, with the handle one may carry (single-port mode: a connection). */
  onMessage(listener: (message: SupervisorToChild, handle: unknown) => void): void;
}

/** This process's channel to its supervisor (cluster IPC; the cluster adapter shares it). */
export function processChannel(): ChildChannel {
  return {
    send(message) {
      if (process.connected) process.send?.(message);
    },
    onMessage(listener) {
      process.on('message', (message: unknown, handle: unknown) => {
        if (isSupervisorMessage(message)) listener(message, handle);
      });
    },
  };
}
