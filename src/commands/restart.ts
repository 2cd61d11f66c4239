// `sioroute restart`: SIGHUP to the running supervisor, then follow /status.json until every
// worker is replaced and every old process has moved its clients and exited.
import { EXIT_CONFIG, EXIT_FAILURE, fail, loadConfigOrExit, loopbackFor, refuseExtraArguments, type RawCommandLine } from './cli-support.js';
import { checkPidFile, pidFilePath } from './pid-file.js';

interface StatusList {
  list: { id: string; pid: number; state: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function runRestartCommand(raw: RawCommandLine): Promise<void> {
  refuseExtraArguments(raw, 'restart');
  const config = loadConfigOrExit(raw);
  const pidFile = pidFilePath(config.pidFile, config.port);
  const check = checkPidFile(pidFile);
  if (!check.ok) fail(EXIT_CONFIG, check.problem);
  const { pid } = check;
  const statusUrl = `http://${loopbackFor(config.host)}:${config.port}/status.json`;
  const status = async (): Promise<StatusList> => (await (await fetch(statusUrl, { signal: AbortSignal.timeout(5000) })).json()) as StatusList;
  const before = await status().catch((error: unknown) => fail(EXIT_FAILURE, `cannot read ${statusUrl}: ${(error as Error).message}`));
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    fail(EXIT_FAILURE, `cannot signal the supervisor (pid ${pid} from ${pidFile}): ${(error as Error).message}`);
  }
  process.stdout.write(`sioroute: rolling restart of ${before.list.length} workers (pid ${pid})\n`);
  const deadline = Date.now() + before.list.length * (config.drainSeconds + 30) * 1000;
  const done = new Set<string>();
  while (done.size < before.list.length) {
    if (Date.now() > deadline) fail(EXIT_FAILURE, `restart not finished in time; replaced so far: ${[...done].join(', ') || 'none'}`);
    await sleep(250);
    const now = await status().catch(() => undefined);
    for (const old of before.list) {
      const current = now?.list.find((w) => w.id === old.id);
      if (!done.has(old.id) && current && current.pid !== old.pid && current.state === 'ready') {
        done.add(old.id);
        process.stdout.write(`sioroute: ${old.id} replaced (pid ${old.pid} -> ${current.pid})\n`);
      }
    }
  }
  // The replaced processes finish moving their clients before the restart is done.
  const stillDraining = () => before.list.filter((w) => isAlive(w.pid));
  while (stillDraining().length > 0) {
    if (Date.now() > deadline) fail(EXIT_FAILURE, `restart not finished in time; still draining: ${stillDraining().map((w) => w.id).join(', ')}`);
    await sleep(250);
  }
  process.stdout.write('sioroute: rolling restart done\n');
}
