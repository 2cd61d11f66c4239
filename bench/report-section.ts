// A benchmark measured apart from `npm run bench` replaces only its own section of
// bench/report.json; `node dist/bench/run.js --render` then writes REPORT.md from the whole file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';

export function replaceReportSection(name: string, section: { result: unknown; seconds: number }): void {
  const path = join(PACKAGE_ROOT, 'bench', 'report.json');
  const report = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  report[name] = section;
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`the ${name} section of bench/report.json was replaced\n`);
}
