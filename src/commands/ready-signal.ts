// A service started by a process manager over IPC (pm2 with `wait_ready`) says `ready` once it
// serves; without such a parent there is no channel and nothing to say.
export function tellProcessManager(): void {
  if (process.send && process.connected) process.send('ready');
}
