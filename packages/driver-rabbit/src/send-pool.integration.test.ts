import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';
import type { RabbitDriver } from './driver.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

async function burst(poolSize: number): Promise<{ size: number; received: number }> {
  const t = await getRpcTransport({
    url: RABBIT_URL,
    logger: silentLogger,
    driverOptions: { rpc_conn_pool_size: poolSize, conn_pool_min_size: 1 },
  });
  open.push(t);
  const topic = `pool_${Math.random().toString(36).slice(2, 10)}`;
  let received = 0;
  const server = getRpcServer(t, { topic, server: 's' }, [{ note: () => void received++ }]);
  await server.start();
  const client = getRpcClient(t, { topic });
  await Promise.all(Array.from({ length: 1000 }, (_, i) => client.cast({}, 'note', { i })));
  const deadline = Date.now() + 15_000;
  while (received < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const size = (t.driver as RabbitDriver).sendPoolSize;
  await server.stop();
  await server.wait();
  return { size, received };
}

describe('send connection pool', () => {
  it('opens more send connections under load, up to rpc_conn_pool_size, and loses nothing', async () => {
    const big = await burst(4);
    expect(big.received).toBe(1000);
    expect(big.size).toBeGreaterThan(1);
    expect(big.size).toBeLessThanOrEqual(4);
    const one = await burst(1);
    expect(one.received).toBe(1000);
    expect(one.size).toBe(1);
  }, 60_000);

  it('refuses a pool smaller than its minimum, as oslo does', async () => {
    await expect(
      getRpcTransport({
        url: RABBIT_URL,
        logger: silentLogger,
        driverOptions: { rpc_conn_pool_size: 1, conn_pool_min_size: 2 },
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
