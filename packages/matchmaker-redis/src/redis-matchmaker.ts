import { Redis, type RedisOptions } from 'ioredis';
import { TransportDriverError, type Logger, type Target } from '@oslo-messaging/core';
import { matchmakerKeys, type Matchmaker } from '@oslo-messaging/core/spi';

/** How long close() waits for a QUIT to be answered before dropping the connection. */
export const QUIT_WAIT_MS = 1000;

interface Registered {
  readonly target: Target;
  readonly address: string;
  readonly listenerType: string;
  readonly ttl: number;
}

/** One Redis instance: its client and whether it ever reached the `ready` state. */
interface Instance {
  readonly client: Redis;
  wasReady: boolean;
}

/**
 * oslo's Redis matchmaker. Each target key is a SET of `host:port` members with a TTL renewed on every
 * registration; each member also has its own liveness key (`<member>`, TTL = the registration's), and
 * readers return only members whose liveness key exists, so a dead server vanishes after its TTL even
 * while others keep the set alive. Writes go to every reachable instance, reads to the first one that answers.
 *
 * Failure behaviour: a command to an instance whose connection dropped fails at once (no offline
 * queue to wait in: the driver falls back to its cached hosts and retries registrations), and when
 * the connection comes back this matchmaker re-announces what it registered on that instance (a
 * restarted Redis is empty), so servers are found again within a reconnect rather than after the
 * next periodic refresh (the same for a registration made before Redis was first reachable). Connection errors are logged, never thrown as `error` events.
 */
export class RedisMatchmaker implements Matchmaker {
  readonly #instances: Instance[];
  /** What this process registered and has not unregistered, to re-announce after a reconnect. */
  readonly #registered = new Map<string, Registered>();
  #closed = false;

  constructor(
    clients: readonly Redis[],
    private readonly logger: Logger,
  ) {
    this.#instances = clients.map((client) => {
      const instance: Instance = { client, wasReady: client.status === 'ready' };
      // Every (re)connection re-announces: after a reconnect Redis may have restarted empty, and a
      // registration made while the first connection was still failing was not written anywhere.
      client.on('ready', () => {
        instance.wasReady = true;
        if (!this.#closed) void this.#reannounce(instance);
      });
      return instance;
    });
  }

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

  /**
   * Runs `op` on `instance`, failing at once when its connection dropped after it had been up (the
   * first connection may still be coming: commands wait for it, up to the connect timeout).
   */
  #on<T>(instance: Instance, op: (c: Redis) => Promise<T>): Promise<T> {
    const { client } = instance;
    if (this.#closed) return Promise.reject(new Error('the matchmaker is closed'));
    if (instance.wasReady && client.status !== 'ready')
      return Promise.reject(new Error(`not connected to Redis (${client.status})`));
    return op(client);
  }

  async #write(what: string, op: (c: Redis) => Promise<unknown>): Promise<void> {
    const results = await Promise.allSettled(this.#instances.map((i) => this.#on(i, op)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === results.length)
      throw new TransportDriverError(
        `Redis matchmaker: ${what} failed on every instance: ${(failed[0]!.reason as Error).message}`,
        { cause: failed[0]!.reason },
      );
    for (const f of failed)
      this.logger.warn(`Redis matchmaker: ${what} failed on one instance`, { err: (f.reason as Error).message });
  }

  async #read<T>(op: (c: Redis) => Promise<T>): Promise<T> {
    const ordered = [...this.#instances].sort(
      (a, b) => Number(b.client.status === 'ready') - Number(a.client.status === 'ready'),
    );
    let last: unknown;
    for (const i of ordered) {
      try {
        return await this.#on(i, op);
      } catch (err) {
        last = err;
      }
    }
    throw new TransportDriverError(`Redis matchmaker: no instance answered: ${(last as Error).message}`, {
      cause: last,
    });
  }

  static #registration(c: Redis, r: Registered): Promise<unknown> {
    const keys = matchmakerKeys(r.target, r.listenerType);
    const m = c.multi();
    for (const key of [keys.topic, keys.server]) if (key !== undefined) m.sadd(key, r.address).expire(key, r.ttl);
    m.sadd(r.address, ' ').expire(r.address, r.ttl);
    return m.exec();
  }

  /** Puts back this process's registrations on an instance that reconnected (it may have restarted empty). */
  async #reannounce(instance: Instance): Promise<void> {
    const entries = [...this.#registered.values()];
    if (entries.length === 0) return;
    try {
      for (const r of entries) await this.#on(instance, (c) => RedisMatchmaker.#registration(c, r));
      this.logger.debug(`Redis matchmaker: re-announced ${entries.length} registration(s) on connecting`);
    } catch (err) {
      this.logger.warn('Redis matchmaker: could not re-announce after a reconnect; the periodic refresh will', {
        err: (err as Error).message,
      });
    }
  }

  static #key(target: Target, address: string, listenerType: string): string {
    return `${listenerType}|${String(target.topic)}|${target.server ?? ''}|${address}`;
  }

  async register(target: Target, address: string, listenerType: string, expireSeconds: number): Promise<void> {
    const r: Registered = { target, address, listenerType, ttl: Math.max(1, Math.ceil(expireSeconds)) };
    this.#registered.set(RedisMatchmaker.#key(target, address, listenerType), r);
    await this.#write('register', (c) => RedisMatchmaker.#registration(c, r));
  }

  async unregister(target: Target, address: string, listenerType: string): Promise<void> {
    this.#registered.delete(RedisMatchmaker.#key(target, address, listenerType));
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

  /**
   * Closes every connection: politely (QUIT) when it is up, at once when it is not, and at most
   * {@link QUIT_WAIT_MS} for a Redis that is up but does not answer (frozen): close never hangs.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#registered.clear();
    await Promise.all(
      this.#instances.map(async ({ client }) => {
        if (client.status !== 'ready') {
          client.disconnect();
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_WAIT_MS)));
        await Promise.race([
          client.quit().then(
            () => undefined,
            () => undefined,
          ),
          late,
        ]);
        clearTimeout(timer);
        if ((client.status as string) !== 'end') client.disconnect();
      }),
    );
  }
}
