// What /proc says of a process: resident memory and CPU time. Benchmarks read other processes
// (workers, the front, the supervisor) this way, without asking them anything.
import { readFileSync } from 'node:fs';

/** VmRSS in bytes; NaN once the process is gone (a respawned worker has a new pid). */
export function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds the process has used so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; in ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Connections the kernel is tracking (conntrack), and its table size; null where the table is absent. */
export function conntrack(): { count: number; max: number } | null {
  try {
    const read = (name: string) => Number(readFileSync(`/proc/sys/net/netfilter/${name}`, 'utf8').trim());
    return { count: read('nf_conntrack_count'), max: read('nf_conntrack_max') };
  } catch {
    return null;
  }
}

/** Memory the whole machine has available (MemAvailable), in bytes. */
export function memAvailableBytes(): number {
  const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}
