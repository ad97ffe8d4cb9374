// CPU-heavy and I/O-light endpoints under 10 concurrent callers, over fake://, with the
// worker-threads executor (ours) against executor-pool (anchor) in the same run.
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger } from '@oslo-messaging/core';
import { closeDefaultWorkerPool, workerEndpoint } from '@oslo-messaging/executor-worker-threads';
import { BenchEndpoint } from './_heavy-endpoint.mjs';

export const name = 'worker-threads';
export const description = 'worker-threads executor vs executor-pool, 10 concurrent callers, fake:// (calls/s)';

const MODULE = new URL('./_heavy-endpoint.mjs', import.meta.url);

async function measure({ executor, endpoint, method, args, seconds, concurrency = 10 }) {
  const transport = await getRpcTransport({
    url: `fake:///bench-wt-${executor}-${method}-${Date.now()}`,
    logger: silentLogger,
  });
  const server = getRpcServer(transport, { topic: 'bench', server: 's' }, [endpoint], { executor });
  await server.start();
  const client = getRpcClient(transport, { topic: 'bench' }, { timeout: 60 });
  for (let i = 0; i < 20; i++) await client.call({}, method, args); // warm-up (workers load the module)
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await client.call({}, method, args);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - started) / 1000);
  await server.stop();
  await server.wait();
  await transport.cleanup();
  await closeDefaultWorkerPool();
  return rate;
}

export async function run({ log }) {
  const rows = [];
  for (const [label, method, args] of [
    ['cpu-heavy fib(25), 10 callers', 'fib', { n: 25 }],
    ['light echo, 10 callers', 'echo', { v: 'x' }],
  ]) {
    const pool = await measure({ executor: 'pool', endpoint: new BenchEndpoint(), method, args, seconds: 3 });
    const workers = await measure({
      executor: 'worker-threads',
      endpoint: workerEndpoint({ module: MODULE, export: 'BenchEndpoint' }),
      method,
      args,
      seconds: 3,
    });
    log(`${label}: worker-threads ${workers.toFixed(0)}/s, executor-pool ${pool.toFixed(0)}/s`);
    rows.push({ row: label, unit: 'calls/s', ours: workers, anchors: { 'executor-pool': pool } });
  }
  return rows;
}
