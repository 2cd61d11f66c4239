// The library API, used from code the way the README shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, startCluster } from './index.js';
import { connectClient, httpGet } from './testing/clients.js';

test('startCluster runs the embedded cluster in this process and stops it', async () => {
  const cluster = await startCluster({ port: 0, workerBasePort: 0, workers: 2, logLevel: 'warn' });
  try {
    assert.equal(cluster.workers.length, 2);
    assert.deepEqual((await httpGet(`${cluster.frontUrl}/healthz`)).json(), { status: 'ok', workers: { healthy: 2, total: 2 } });
    const { socket, endpoint } = await connectClient(cluster.frontUrl, '127.0.6.1');
    assert.equal((await socket.timeout(5000).emitWithAck('whoami')).workerId, endpoint.workerId);
    socket.close();
  } finally {
    await cluster.stop();
  }
  await assert.rejects(httpGet(`${cluster.frontUrl}/healthz`), /ECONNREFUSED/);
});

test('startCluster refuses bad settings with a ConfigError', async () => {
  await assert.rejects(startCluster({ workers: 0 }), (error: unknown) => error instanceof ConfigError && /invalid setting workers="0"/.test(error.message));
  await assert.rejects(startCluster({ ports: 1 } as never), (error: unknown) => error instanceof TypeError && /unknown option ports/.test(error.message));
});
