// The Redis matchmaker against the real Redis of this machine (fails loudly without it), and through a
// real Redis Sentinel started for the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { silentLogger, Target, TransportDriverError, TransportURL } from '@oslo-messaging/core';
import { type MatchmakerContext } from '@oslo-messaging/core/spi';
import { afterAll, describe, expect, it } from 'vitest';
import { redisMatchmaker, sentinelMatchmaker } from './index.js';
import { RedisMatchmaker } from './redis-matchmaker.js';

const HOST = '127.0.0.1';
const PORT = 6379;
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const context = (url: string): MatchmakerContext => ({
  url: TransportURL.parse(url),
  logger: silentLogger,
  options: (group, schema) => Object.fromEntries(Object.entries(schema).map(([k, s]) => [k, s.default])) as never,
});

describe('RedisMatchmaker', () => {
  const mm = RedisMatchmaker.connect([{ host: HOST, port: PORT }], 2000, silentLogger);
  const redis = new Redis({ host: HOST, port: PORT });
  afterAll(async () => {
    await mm.close();
    redis.disconnect();
  });

  it("writes oslo's keys: type/topic and type/topic/server sets with TTLs, plus a liveness key per member", async () => {
    const topic = uniq('keys');
    await mm.register(new Target({ topic, server: 'host1@backend' }), '10.1.1.1:5000', 'ROUTER', 30);
    expect(await redis.smembers(`ROUTER/${topic}`)).toEqual(['10.1.1.1:5000']);
    expect(await redis.smembers(`ROUTER/${topic}/host1`)).toEqual(['10.1.1.1:5000']);
    expect(await redis.ttl(`ROUTER/${topic}`)).toBeGreaterThan(25);
    expect(await redis.exists('10.1.1.1:5000')).toBe(1);
    expect(await mm.getHosts(new Target({ topic, server: 'host1' }), 'ROUTER')).toEqual(['10.1.1.1:5000']);
    await mm.unregister(new Target({ topic, server: 'host1@backend' }), '10.1.1.1:5000', 'ROUTER');
    expect(await mm.getHostsFanout(new Target({ topic }), 'ROUTER')).toEqual([]);
  });

  it('a member whose registration expired disappears while others keep the set alive', async () => {
    const topic = uniq('expire');
    const dead = `10.2.${Math.floor(Math.random() * 250)}.1:${40000 + Math.floor(Math.random() * 9999)}`;
    await mm.register(new Target({ topic }), dead, 'ROUTER', 1);
    await mm.register(new Target({ topic }), '10.2.2.2:5000', 'ROUTER', 30);
    expect((await mm.getHosts(new Target({ topic }), 'ROUTER')).sort()).toEqual([dead, '10.2.2.2:5000'].sort());
    await new Promise((r) => setTimeout(r, 2100));
    expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).toEqual(['10.2.2.2:5000']);
  });

  it('writes go to every reachable instance; one instance down is tolerated, all down is a TransportDriverError', async () => {
    const topic = uniq('multi');
    const two = RedisMatchmaker.connect(
      [
        { host: HOST, port: 1 },
        { host: HOST, port: PORT },
      ],
      500,
      silentLogger,
    );
    try {
      await two.register(new Target({ topic }), '10.3.3.3:5000', 'ROUTER', 30);
      expect(await two.getHosts(new Target({ topic }), 'ROUTER')).toEqual(['10.3.3.3:5000']);
    } finally {
      await two.close();
    }
    const none = RedisMatchmaker.connect([{ host: HOST, port: 1 }], 300, silentLogger);
    try {
      await expect(none.register(new Target({ topic }), 'x:1', 'ROUTER', 30)).rejects.toBeInstanceOf(
        TransportDriverError,
      );
      await expect(none.getHosts(new Target({ topic }), 'ROUTER')).rejects.toBeInstanceOf(TransportDriverError);
    } finally {
      await none.close();
    }
  });

  it('the redis plugin takes its instances from the transport URL', async () => {
    const topic = uniq('plugin');
    const m = await redisMatchmaker.create(context(`zmq+redis://${HOST}:${PORT}/`));
    try {
      await m.register(new Target({ topic }), '10.4.4.4:5000', 'ROUTER', 30);
      expect(await redis.smembers(`ROUTER/${topic}`)).toEqual(['10.4.4.4:5000']);
    } finally {
      await m.close();
    }
  });
});

describe('sentinel matchmaker', () => {
  let sentinel: ChildProcess | undefined;
  afterAll(() => void sentinel?.kill('SIGKILL'));

  it('finds the master of its group through Redis Sentinel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oslo-sentinel-'));
    const port = 26_000 + Math.floor(Math.random() * 999);
    writeFileSync(
      join(dir, 'sentinel.conf'),
      `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor oslo-test ${HOST} ${PORT} 1\n`,
    );
    sentinel = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore' });
    const probe = new Redis({ host: HOST, port, lazyConnect: true, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    await expect
      .poll(async () => await probe.call('SENTINEL', 'get-master-addr-by-name', 'oslo-test').catch(() => null), {
        timeout: 10_000,
      })
      .toEqual([HOST, String(PORT)]);
    probe.disconnect();

    const topic = uniq('sentinel');
    const m = await sentinelMatchmaker.create(context(`zmq+sentinel://${HOST}:${port}/oslo-test`));
    try {
      await m.register(new Target({ topic }), '10.5.5.5:5000', 'ROUTER', 30);
      expect(await m.getHosts(new Target({ topic }), 'ROUTER')).toEqual(['10.5.5.5:5000']);
      const direct = new Redis({ host: HOST, port: PORT });
      expect(await direct.smembers(`ROUTER/${topic}`)).toEqual(['10.5.5.5:5000']);
      direct.disconnect();
    } finally {
      await m.close();
    }
  }, 30_000);
});
