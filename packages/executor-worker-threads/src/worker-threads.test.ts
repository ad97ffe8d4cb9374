import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  RemoteError,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';
import { WorkerPool, WorkerPoolFull, workerEndpoint } from '@oslo-messaging/executor-worker-threads';

const MODULE = new URL('./__fixtures__/heavy-endpoint.mjs', import.meta.url);

describe('worker-threads executor', () => {
  let transport: Transport;
  beforeAll(async () => {
    transport = await getRpcTransport({ url: `fake:///wt-${Date.now()}`, logger: silentLogger });
  });
  afterAll(async () => {
    await transport.cleanup();
  });

  async function serve(endpoints: object[], topic: string) {
    const server = getRpcServer(transport, { topic, server: 's' }, endpoints, { executor: 'worker-threads' });
    await server.start();
    return server;
  }

  it('runs endpoint methods in worker threads and returns their results and errors', async () => {
    const server = await serve([workerEndpoint({ module: MODULE, export: 'HeavyEndpoint' })], 'wt1');
    const client = getRpcClient(transport, { topic: 'wt1' }, { timeout: 20 });
    expect(await client.call({}, 'fib', { n: 20 })).toBe(6765);
    expect(await client.call({}, 'whoami')).toBeGreaterThan(0); // not the main thread (0)
    expect(await client.call({ user_id: 'alice' }, 'user')).toBe('alice');
    const quota = await client.call({}, 'quota', { limit: 5 }).catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(RemoteError);
    expect((quota as RemoteError).excType).toBe('QuotaExceeded');
    expect((quota as RemoteError).value).toBe('over quota 5');
    await expect(client.call({}, 'bad_type')).rejects.toBeInstanceOf(TypeError);
    const missing = await client.call({}, 'nope').catch((e: unknown) => e);
    expect((missing as RemoteError).excType).toBe('NoSuchMethod');
    await server.stop();
    await server.wait();
  });

  it('a worker that crashes fails only its call and is replaced', async () => {
    const pool = new WorkerPool({ size: 1 });
    const server = await serve([workerEndpoint({ module: MODULE, export: 'HeavyEndpoint', pool })], 'wt2');
    const client = getRpcClient(transport, { topic: 'wt2' }, { timeout: 20 });
    const first = await client.call({}, 'whoami');
    const crashed = await client.call({}, 'crash').catch((e: unknown) => e);
    expect((crashed as RemoteError).excType).toBe('WorkerCrashed');
    expect(await client.call({}, 'fib', { n: 10 })).toBe(55);
    expect(await client.call({}, 'whoami')).not.toBe(first);
    await server.stop();
    await server.wait();
    await pool.close();
  });

  it('finishes in-flight work on stop(), then wait() resolves', async () => {
    const server = await serve([workerEndpoint({ module: MODULE, export: 'HeavyEndpoint' })], 'wt3');
    const client = getRpcClient(transport, { topic: 'wt3' }, { timeout: 20 });
    const calls = [300, 300, 300].map((ms) => client.call({}, 'sleep', { ms }));
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    let waited = false;
    const w = server.wait().then(() => (waited = true));
    expect(await Promise.all(calls)).toEqual([300, 300, 300]);
    await w;
    expect(waited).toBe(true);
  });

  it('refuses work beyond the queue limit', async () => {
    const pool = new WorkerPool({ size: 1, queueLimit: 1 });
    const mod = MODULE.href;
    const running = pool.run(mod, 'HeavyEndpoint', 'sleep', {}, { ms: 200 });
    const queued = pool.run(mod, 'HeavyEndpoint', 'sleep', {}, { ms: 1 });
    await expect(pool.run(mod, 'HeavyEndpoint', 'sleep', {}, { ms: 1 })).rejects.toBeInstanceOf(WorkerPoolFull);
    expect(await running).toBe(200);
    expect(await queued).toBe(1);
    await pool.close();
    await expect(pool.run(mod, 'HeavyEndpoint', 'fib', {}, { n: 1 })).rejects.toThrow(/closed/);
  });
});
