// Where a running supervisor leaves its pid, so `sioroute restart` can find it by front port.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function pidFilePath(port: number): string {
  return join(tmpdir(), `sioroute-${port}.pid`);
}
