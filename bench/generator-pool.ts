// Child processes that hold a benchmark's clients, each answering one IPC command at a time.
// Several of them keep each under the open-file limit of one process and keep the clients' work
// off the parent's event loop, where latencies are timed.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';

export class GeneratorProcess<Command extends object, Reply> {
  readonly child: ChildProcess;

  /**
   * `nice`: a niceness for the child. Generators stand for clients on other machines: at 10, the
   * servers come first on the shared cores, as they would on their own host, and the clients get
   * what is left.
   */
  constructor(modulePath: string, options: { nice?: number } = {}) {
    // Big heaps: one generator may hold some 17,000 clients.
    this.child = fork(modulePath, [], { execArgv: ['--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    if (options.nice !== undefined) setPriority(this.child.pid!, options.nice);
  }

  /** The answer, or an error when the child dies or takes longer than `timeoutMs`. */
  request(command: Command, timeoutMs: number): Promise<Reply> {
    const child = this.child;
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, reply?: Reply) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(reply!);
      };
      const onMessage = (reply: Reply) => settle(undefined, reply);
      const onExit = (code: number | null) => settle(new Error(`generator ${child.pid} exited with ${String(code)}`));
      const timer = setTimeout(() => settle(new Error(`generator ${child.pid}: no answer within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(command);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
