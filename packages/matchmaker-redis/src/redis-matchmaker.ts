import { Redis, type RedisOptions } from 'ioredis';
import { matchmakerKeys, TransportDriverError, type Logger, type Matchmaker, type Target } from '@oslo-messaging/core';

/**
 * oslo's Redis matchmaker. Each target key is a SET of `host:port` members with a TTL renewed on every
 * registration; each member also has its own liveness key (`<member>`, TTL = the registration's), and
 * readers return only members whose liveness key exists, so a dead server vanishes after its TTL even
 * while others keep the set alive. Writes go to every reachable instance, reads to the first one that answers.
 */
export class RedisMatchmaker implements Matchmaker {
  constructor(
    private readonly clients: readonly Redis[],
    private readonly logger: Logger,
  ) {}

  /** Connects lazily to each instance; commands fail fast (no endless offline queue) while one is down. */
  static connect(instances: ReadonlyArray<RedisOptions>, timeoutMs: number, logger: Logger): RedisMatchmaker {
    const clients = instances.map((o) => {
      const client = new Redis({
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(100 * times, 2000),
        ...o,
      });
      // ioredis reconnects by itself; an 'error' event without a listener would crash the process.
      client.on('error', (err: Error) => logger.debug('Redis matchmaker connection error', { err: err.message }));
      return client;
    });
    return new RedisMatchmaker(clients, logger);
  }

  async #write(what: string, op: (c: Redis) => Promise<unknown>): Promise<void> {
    const results = await Promise.allSettled(this.clients.map(op));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === results.length) throw new TransportDriverError(`Redis matchmaker: ${what} failed on every instance: ${(failed[0]!.reason as Error).message}`, { cause: failed[0]!.reason });
    for (const f of failed) this.logger.warn(`Redis matchmaker: ${what} failed on one instance`, { err: (f.reason as Error).message });
  }

  async #read<T>(op: (c: Redis) => Promise<T>): Promise<T> {
    const ordered = [...this.clients].sort((a, b) => Number(b.status === 'ready') - Number(a.status === 'ready'));
    let last: unknown;
    for (const c of ordered) {
      try {
        return await op(c);
      } catch (err) {
        last = err;
      }
    }
    throw new TransportDriverError(`Redis matchmaker: no instance answered: ${(last as Error).message}`, { cause: last });
  }

  async register(target: Target, address: string, listenerType: string, expireSeconds: number): Promise<void> {
    const keys = matchmakerKeys(target, listenerType);
    const ttl = Math.max(1, Math.ceil(expireSeconds));
    await this.#write('register', (c) => {
      const m = c.multi();
      for (const key of [keys.topic, keys.server]) if (key !== undefined) m.sadd(key, address).expire(key, ttl);
      m.sadd(address, ' ').expire(address, ttl);
      return m.exec();
    });
  }

  async unregister(target: Target, address: string, listenerType: string): Promise<void> {
    const keys = matchmakerKeys(target, listenerType);
    await this.#write('unregister', (c) => {
      const m = c.multi();
      for (const key of [keys.topic, keys.server]) if (key !== undefined) m.srem(key, address);
      return m.exec();
    });
  }

  #liveMembers(key: string): Promise<string[]> {
    return this.#read(async (c) => {
      const members = await c.smembers(key);
      if (members.length === 0) return [];
      const p = c.pipeline();
      for (const m of members) p.exists(m);
      const exists = (await p.exec()) ?? [];
      return members.filter((_, i) => exists[i]?.[1] === 1);
    });
  }

  getHosts(target: Target, listenerType: string): Promise<string[]> {
    const keys = matchmakerKeys(target, listenerType);
    return this.#liveMembers(keys.server ?? keys.topic);
  }

  getHostsFanout(target: Target, listenerType: string): Promise<string[]> {
    return this.#liveMembers(matchmakerKeys(target, listenerType).topic);
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
