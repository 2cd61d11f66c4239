// sioroute_build_info{version,node} 1: which release and which Node line a process runs. Kept as
// the maximum when a cluster's processes are aggregated (every one reports 1).
import { createRequire } from 'node:module';
import { Gauge, type Registry } from 'prom-client';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export function buildInfo(registry: Registry): void {
  if (registry.getSingleMetric('sioroute_build_info')) return;
  const gauge = new Gauge({
    name: 'sioroute_build_info',
    help: 'The sioroute version and the Node version this process runs; always 1',
    labelNames: ['version', 'node'],
    registers: [registry],
    aggregator: 'max',
  });
  gauge.set({ version, node: process.version }, 1);
}
