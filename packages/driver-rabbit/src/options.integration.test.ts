import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessageUndeliverable,
  MessagingTimeout,
  silentLogger,
  type Transport,
} from '@oslo-messaging/core';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;
const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.cleanup()));
});

function queues(): Map<string, string[]> {
  const out = execFileSync(
    'rabbitmqctl',
    ['list_queues', '-q', '--no-table-headers', 'name', 'type', 'durable', 'arguments'],
    { encoding: 'utf8' },
  );
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => {
        const [name = '', ...rest] = l.split('\t');
        return [name, rest];
      }),
  );
}

describe('RabbitMQ driver options', () => {
  it('refuses unknown URL options and bad values with ConfigurationError', async () => {
    await expect(
      getRpcTransport({ url: `${RABBIT_URL}?no_such_option=1`, logger: silentLogger }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      getRpcTransport({ url: `${RABBIT_URL}?rabbit_qos_prefetch_count=lots`, logger: silentLogger }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      getRpcTransport({ url: `${RABBIT_URL}?kombu_failover_strategy=random`, logger: silentLogger }),
    ).rejects.toThrow(/round-robin, shuffle/);
    const ok = await getRpcTransport({
      url: `${RABBIT_URL}?rabbit_qos_prefetch_count=10&heartbeat_timeout_threshold=30`,
      logger: silentLogger,
    });
    await ok.cleanup();
  });

  it('declares quorum and durable queues, and x-expires on transient queues', async () => {
    const t = await getRpcTransport({
      url: RABBIT_URL,
      logger: silentLogger,
      driverOptions: { rabbitQuorumQueue: true, rabbit_transient_queues_ttl: 600 },
      controlExchange: uniq('quorum_x'),
    });
    open.push(t);
    const topic = uniq('quorum');
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
    const q = queues();
    expect(q.get(topic)?.[0]).toBe('quorum');
    expect(q.get(topic)?.[1]).toBe('true');
    expect(q.get(`${topic}.s`)?.[0]).toBe('quorum');
    const fanout = [...q.keys()].find((n) => n.startsWith(`${topic}_fanout_`))!;
    expect(q.get(fanout)?.[0]).toBe('classic');
    expect(q.get(fanout)?.[2]).toContain('x-expires');
    expect(q.get(fanout)?.[2]).toContain('600000');
    await server.stop();
    await server.wait();
    expect(queues().has(fanout)).toBe(false); // the per-server fanout queue goes with its server
  });

  it('atLeastOnce fails at once with MessageUndeliverable; without it an unroutable call times out', async () => {
    const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    open.push(t);
    const topic = uniq('nobody');
    await expect(getRpcClient(t, { topic }, { atLeastOnce: true, timeout: 10 }).call({}, 'x')).rejects.toBeInstanceOf(
      MessageUndeliverable,
    );
    await expect(getRpcClient(t, { topic }, { atLeastOnce: true }).cast({}, 'x')).rejects.toBeInstanceOf(
      MessageUndeliverable,
    );
    await expect(getRpcClient(t, { topic }, { timeout: 1 }).call({}, 'x')).rejects.toBeInstanceOf(MessagingTimeout);
  });

  it('fails over: with a dead first host, traffic flows through the second', async () => {
    const t = await getRpcTransport({
      url: 'rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/',
      logger: silentLogger,
      driverOptions: { kombu_failover_strategy: 'round-robin', rabbit_retry_interval: 0.1 },
    });
    open.push(t);
    const topic = uniq('failover');
    const server = getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]);
    await server.start();
    for (let i = 0; i < 5; i++) expect(await getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'ping')).toBe('pong');
    await server.stop();
    await server.wait();
  });

  it('kombu_reconnect_splay adds a random 0..splay s to every reconnect delay', async () => {
    const attempts: number[] = [];
    const logger = {
      ...silentLogger,
      warn: (m: string) => void (m.includes('is unreachable') && attempts.push(Date.now())),
    };
    const measure = async (splay: number) => {
      attempts.length = 0;
      const t = await getRpcTransport({
        url: 'rabbit://guest:guest@127.0.0.1:1/',
        logger,
        driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0, kombu_reconnect_splay: splay },
      });
      await getRpcClient(t, { topic: 'x' }, { retry: 5 })
        .cast({}, 'm')
        .catch(() => undefined);
      await t.cleanup();
      return attempts.slice(1).map((at, i) => at - attempts[i]!);
    };
    const plain = await measure(0);
    const splayed = await measure(0.5);
    expect(plain.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...plain)).toBeLessThan(400);
    expect(splayed.every((g) => g >= 90 && g < 100 + 500 + 300)).toBe(true);
    // Random: five gaps drawn from 0..500 ms extra are not all within 50 ms of the plain delay.
    expect(splayed.some((g) => g > 150)).toBe(true);
  });

  it('gives up sending after `retry` when no broker answers', async () => {
    const t = await getRpcTransport({
      url: 'rabbit://guest:guest@127.0.0.1:1/',
      logger: silentLogger,
      driverOptions: { rabbit_retry_interval: 0.1, rabbit_retry_backoff: 0 },
    });
    open.push(t);
    await expect(getRpcClient(t, { topic: 'x' }, { retry: 1 }).cast({}, 'm')).rejects.toThrow(
      /Unable to connect to AMQP server on 127\.0\.0\.1:1 after 1 tries/,
    );
  });
});
