// Where a running supervisor leaves its pid (PID_FILE, or one per front port in the temp folder),
// so that `sioroute restart` finds it; and the check that a pid is a live sioroute before it is
// signalled: a stale file's pid may belong to another process by now.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export function pidFilePath(pidFile: string | undefined, port: number): string {
  return pidFile ?? join(tmpdir(), `sioroute-${port}.pid`);
}

export type PidCheck = { ok: true; pid: number } | { ok: false; problem: string };

/** The pid in the file, when it is a live sioroute process (its command is the sioroute bin or cli.js). */
export function checkPidFile(path: string): PidCheck {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, problem: `no running sioroute found: no pid file ${path}` };
  }
  const pid = Number(text.trim());
  if (!/^[0-9]{1,10}$/.test(text.trim()) || pid < 2) return { ok: false, problem: `the pid file ${path} holds no pid (${JSON.stringify(text.slice(0, 20))})` };
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return { ok: false, problem: `stale pid file ${path}: no process ${pid} is running (remove the file)` };
  }
  const isSioroute = argv.slice(0, 3).some((arg) => ['sioroute', 'cli.js'].includes(basename(arg)));
  if (!isSioroute) return { ok: false, problem: `the pid file ${path} names process ${pid}, which is not sioroute (${basename(argv[0] ?? '?')}); nothing was signalled` };
  return { ok: true, pid };
}
