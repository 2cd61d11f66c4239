// `sioroute nginx-config`: print the nginx configuration for these settings (one public port:
// `/` to the front, `/w/N/` to worker N); the ports must be fixed.
import { checkNginxListen, DEFAULT_NGINX_LISTEN, renderNginxConfig } from '../deploy/nginx-config.js';
import { EXIT_CONFIG, fail, loadConfigOrExit, loopbackFor, refuseExtraArguments, type RawCommandLine } from './cli-support.js';

export function runNginxConfigCommand(raw: RawCommandLine): void {
  refuseExtraArguments(raw, 'nginx-config');
  const given = raw.extras.listen;
  const listen = typeof given === 'string' ? given : DEFAULT_NGINX_LISTEN;
  const problem = checkNginxListen(listen);
  if (problem) fail(EXIT_CONFIG, `invalid option --listen=${JSON.stringify(listen)}: ${problem}`);
  const config = loadConfigOrExit(raw);
  // nginx cannot ask sioroute where a port-0 process landed: both must be fixed.
  for (const [env, value] of [['PORT', config.port], ['WORKER_BASE_PORT', config.workerBasePort]] as const) {
    if (value === 0) fail(EXIT_CONFIG, `invalid setting ${raw.sources[env] ?? env}="0": expected a fixed port for nginx-config (nginx cannot follow a port picked at start)`);
  }
  process.stdout.write(
    renderNginxConfig({ listen, upstreamHost: loopbackFor(config.host), frontPort: config.port, workerBasePort: config.workerBasePort, workers: config.workers }),
  );
}
