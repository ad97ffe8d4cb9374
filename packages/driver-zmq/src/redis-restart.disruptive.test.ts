// Redis (the matchmaker) restarts under traffic, losing every key: running clients keep calling the
// servers they know, servers re-register within zmq_target_update, and new clients find them again.
// Disruptive (run last, alone); Redis is always restarted.
import { execFileSync, execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger, type Transport } from '@oslo-messaging/core';

const URL_ = 'zmq+redis://127.0.0.1:6379/?rpc_zmq_bind_address=127.0.0.1&zmq_target_update=1&zmq_host_cache_ttl=0.2&rpc_ack_timeout_base=1';
const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';
const redisUp = () => {
  try {
    return execFileSync('redis-cli', ['-p', '6379', 'ping'], { encoding: 'utf8', timeout: 2000 }).trim() === 'PONG';
  } catch {
    return false;
  }
};
const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => void unhandled.push(e));
const transports: Transport[] = [];

afterAll(async () => {
  if (!redisUp()) execSync(START_REDIS);
  await Promise.all(transports.map((t) => t.cleanup()));
});

describe('zmq: a Redis restart', () => {
  it('does not stop traffic, and servers re-register afterwards', async () => {
    const topic = `redis_restart_${randomUUID().slice(0, 8)}`;
    const serving = await getRpcTransport({ url: URL_, logger: silentLogger });
    const calling = await getRpcTransport({ url: URL_, logger: silentLogger });
    transports.push(serving, calling);
    const server = getRpcServer(serving, { topic, server: 's' }, [{ ping: (_c: unknown, { n }: { n: number }) => n }]);
    await server.start();
    const client = getRpcClient(calling, { topic }, { timeout: 10 });
    expect(await client.call({}, 'ping', { n: 0 })).toBe(0);

    execFileSync('redis-cli', ['-p', '6379', 'shutdown', 'nosave']);
    await expect.poll(redisUp).toBe(false);
    // With the matchmaker gone, a running client keeps using the servers it knows.
    for (let n = 1; n <= 20; n++) expect(await client.call({}, 'ping', { n })).toBe(n);

    execSync(START_REDIS);
    await expect.poll(redisUp, { timeout: 10_000 }).toBe(true);
    // Redis came back empty; the server puts its entries back within zmq_target_update (+ retry).
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      await expect.poll(() => redis.smembers(`ROUTER/${topic}`), { timeout: 15_000 }).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
    const fresh = await getRpcTransport({ url: URL_, logger: silentLogger });
    transports.push(fresh);
    expect(await getRpcClient(fresh, { topic }, { timeout: 10 }).call({}, 'ping', { n: 99 })).toBe(99);
    await server.stop();
    await server.wait();
    expect(unhandled).toEqual([]);
  }, 60_000);
});
