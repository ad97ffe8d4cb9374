// The Redis matchmaker's failure behaviour, through a TCP proxy in front of this machine's Redis that
// the test can cut (connections dropped, new ones refused: Redis down) or freeze (connections stay up,
// nothing is forwarded: Redis stopped with SIGSTOP), without disturbing the shared Redis itself.
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { silentLogger, Target } from '@oslo-messaging/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisMatchmaker } from './redis-matchmaker.js';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
const uniq = (p: string) => `${p}_${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A proxy to Redis on a port of its own: `cut()`, `restore()`, `freeze()`, `thaw()`. */
class Proxy {
  #server: Server | undefined;
  readonly #pairs = new Set<[Socket, Socket]>();
  #frozen = false;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(REDIS_PORT, REDIS_HOST);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const drop = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      if (this.#frozen) {
        client.pause();
        upstream.pause();
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const [a, b] of [...this.#pairs]) {
      a.destroy();
      b.destroy();
    }
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  }

  /** Listens again on the same port. */
  restore(): Promise<void> {
    return this.start(this.port);
  }

  /** Connections stay up, nothing goes through. */
  freeze(): void {
    this.#frozen = true;
    for (const [a, b] of this.#pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

const proxies: Proxy[] = [];
const matchmakers: RedisMatchmaker[] = [];
const direct = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true });
direct.on('error', () => undefined);
afterAll(() => direct.disconnect());
afterEach(async () => {
  for (const m of matchmakers.splice(0)) await m.close();
  for (const p of proxies.splice(0)) await p.close();
});

async function setup(): Promise<{ proxy: Proxy; mm: RedisMatchmaker }> {
  const proxy = new Proxy();
  await proxy.start();
  proxies.push(proxy);
  const mm = RedisMatchmaker.connect([{ host: '127.0.0.1', port: proxy.port }], 5000, silentLogger);
  matchmakers.push(mm);
  return { proxy, mm };
}

describe('RedisMatchmaker under faults', () => {
  it('once connected, a dropped connection fails commands at once (no offline queue), and reconnecting re-announces what was registered', async () => {
    const { proxy, mm } = await setup();
    const topic = uniq('reannounce');
    await mm.register(new Target({ topic, server: 'h1' }), '10.9.9.9:5000', 'ROUTER', 60);
    expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).toEqual(['10.9.9.9:5000']);

    await proxy.cut();
    await sleep(100);
    const began = Date.now();
    await expect(mm.getHosts(new Target({ topic }), 'ROUTER')).rejects.toThrow(/not connected|no instance answered/);
    await expect(mm.register(new Target({ topic: `${topic}_2` }), '10.9.9.9:5000', 'ROUTER', 60)).rejects.toThrow();
    expect(Date.now() - began).toBeLessThan(200); // not the 5 s command timeout

    // Redis "restarted empty": the keys are gone when the connection comes back.
    await direct.del(`ROUTER/${topic}`, `ROUTER/${topic}/h1`, `ROUTER/${topic}_2`);
    await proxy.restore();
    // Both the registration made before and the one that failed while cut are put back.
    await expect.poll(async () => direct.smembers(`ROUTER/${topic}/h1`), { timeout: 5000 }).toEqual(['10.9.9.9:5000']);
    await expect.poll(async () => direct.smembers(`ROUTER/${topic}_2`), { timeout: 5000 }).toEqual(['10.9.9.9:5000']);
    expect(await mm.getHosts(new Target({ topic }), 'ROUTER')).toEqual(['10.9.9.9:5000']);

    // An unregistered entry is not re-announced.
    await mm.unregister(new Target({ topic: `${topic}_2` }), '10.9.9.9:5000', 'ROUTER');
    await proxy.cut();
    await direct.del(`ROUTER/${topic}/h1`);
    await proxy.restore();
    await expect.poll(async () => direct.smembers(`ROUTER/${topic}/h1`), { timeout: 5000 }).toEqual(['10.9.9.9:5000']);
    expect(await direct.smembers(`ROUTER/${topic}_2`)).toEqual([]);
  }, 30_000);

  it('close() does not hang on a frozen Redis (connection up, no answers)', async () => {
    const { proxy, mm } = await setup();
    await mm.register(new Target({ topic: uniq('frozen') }), '10.9.9.8:5000', 'ROUTER', 60);
    proxy.freeze();
    const began = Date.now();
    await mm.close();
    expect(Date.now() - began).toBeLessThan(1500);
  }, 30_000);

  it('close() of a matchmaker whose Redis is down returns at once', async () => {
    const { proxy, mm } = await setup();
    await mm.getHosts(new Target({ topic: uniq('down') }), 'ROUTER');
    await proxy.cut();
    await sleep(100);
    const began = Date.now();
    await mm.close();
    expect(Date.now() - began).toBeLessThan(200);
  }, 30_000);
});
