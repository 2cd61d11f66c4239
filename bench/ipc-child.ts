// A benchmark's helper process: forked, sent commands over IPC, each answered by a reply carrying
// the command's id (so several may be in flight), killed with SIGKILL when done or to play a crash.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export class IpcChild<Command extends object, Reply> {
  readonly process: ChildProcess;
  #next = 0;

  /** `execArgv`: Node's flags for the child, e.g. `--expose-gc`. @default [] */
  constructor(path: string, execArgv: readonly string[] = []) {
    this.process = fork(path, [], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  /** The reply to this command, or an error when the child dies or takes longer than timeoutMs. */
  request(command: Command, timeoutMs: number): Promise<Reply> {
    const child = this.process;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, reply?: Reply) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      const onMessage = (reply: Reply & { id: number }) => reply.id === id && settle(undefined, reply);
      const onExit = (code: number | null) => settle(new Error(`child ${child.pid} exited with ${String(code)}`));
      const timer = setTimeout(() => settle(new Error(`child ${child.pid}: no reply to ${JSON.stringify(command).slice(0, 60)} within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ ...command, id });
    });
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** SIGKILL: nothing runs in the child after it (no deregistration, no flush). */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.process, 'exit');
    this.process.kill('SIGKILL');
    await exited;
  }
}
