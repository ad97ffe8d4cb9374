import { Target, type Logger } from '@oslo-messaging/core';
import { type Matchmaker } from '@oslo-messaging/core/spi';
import { EVERY_POOL } from './frames.js';

/** Listener types, the first segment of matchmaker keys. */
export const LISTENER_TYPE = { rpc: 'ROUTER', notify: 'NOTIFY' } as const;

/**
 * A notification member is `host:port/<pool>` (pool may be empty: the default group). A bare
 * `host:port` (as a static file lists it) means "that process, every pool there".
 */
export function parseNotifyMember(member: string): { address: string; pool: string } {
  const slash = member.indexOf('/');
  return slash < 0
    ? { address: member, pool: EVERY_POOL }
    : { address: member.slice(0, slash), pool: member.slice(slash + 1) };
}

export const notifyMember = (address: string, pool: string | undefined): string => `${address}/${pool ?? ''}`;

/** How long after the matchmaker recovers an empty answer does not replace the hosts known before. */
export const RECOVERY_GRACE_MS = 15_000;

interface Cached {
  hosts: string[];
  at: number;
}

/**
 * Asks the matchmaker which processes serve a target, caching answers for `ttlMs` and keeping the
 * last good answer while the matchmaker is unreachable (a Redis restart must not stop traffic).
 * Answers are sorted, so every client walks a target's servers in the same order, and one lookup
 * per target is in flight at a time however many sends ask.
 */
export class HostCache {
  readonly #cache = new Map<string, Cached>();
  readonly #asking = new Map<string, Promise<string[]>>();
  readonly #keys = new Map<string, Map<string, Map<string, Map<string, string>>>>();
  #failing = false;
  #recoveredAt = -Infinity;

  constructor(
    private readonly matchmaker: Matchmaker,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Processes serving `topic` (and `server`, when given); `fanout` asks for every server of the topic.
   * A cache hit is answered synchronously (no promise on the hot path); so is an expired entry, while
   * a refresh runs in the background (the call path never waits for the matchmaker when it has an
   * answer). `fresh` waits for a new answer (after a failure, or while no server is known).
   */
  lookup(
    topic: string,
    server: string | undefined,
    listenerType: string,
    fanout: boolean,
    fresh = false,
  ): string[] | Promise<string[]> {
    const key = this.#key(fanout ? 'f' : 'h', listenerType, topic, server ?? '');
    const hit = this.#cache.get(key);
    if (hit && !fresh) {
      if (Date.now() - hit.at >= this.ttlMs && !this.#asking.has(key))
        void this.#ask(key, topic, server, listenerType, fanout);
      if (hit.hosts.length > 0 || Date.now() - hit.at < this.ttlMs) return hit.hosts;
    }
    return this.#ask(key, topic, server, listenerType, fanout);
  }

  /** The cache key of a lookup, made once per (kind, listener type, topic, server): no string per call. */
  #key(kind: string, listenerType: string, topic: string, server: string): string {
    let byType = this.#keys.get(kind);
    if (byType === undefined) this.#keys.set(kind, (byType = new Map<string, Map<string, Map<string, string>>>()));
    let byTopic = byType.get(listenerType);
    if (byTopic === undefined) byType.set(listenerType, (byTopic = new Map<string, Map<string, string>>()));
    let byServer = byTopic.get(topic);
    if (byServer === undefined) byTopic.set(topic, (byServer = new Map<string, string>()));
    let key = byServer.get(server);
    if (key === undefined) byServer.set(server, (key = `${kind}\0${listenerType}\0${topic}\0${server}`));
    return key;
  }

  /** One lookup per key at a time; never rejects: on failure, the last known hosts (or none). */
  #ask(
    key: string,
    topic: string,
    server: string | undefined,
    listenerType: string,
    fanout: boolean,
  ): Promise<string[]> {
    const inFlight = this.#asking.get(key);
    if (inFlight) return inFlight;
    const asking = this.#fetch(key, new Target({ topic, server }), listenerType, fanout);
    this.#asking.set(key, asking);
    void asking.then(() => {
      if (this.#asking.get(key) === asking) this.#asking.delete(key);
    });
    return asking;
  }

  async #fetch(key: string, target: Target, listenerType: string, fanout: boolean): Promise<string[]> {
    try {
      const found = fanout
        ? await this.matchmaker.getHostsFanout(target, listenerType)
        : await this.matchmaker.getHosts(target, listenerType);
      const now = Date.now();
      if (this.#failing) {
        this.#failing = false;
        this.#recoveredAt = now;
        this.logger.info('The matchmaker answers again');
      }
      const known = this.#cache.get(key)?.hosts;
      if (
        found.length === 0 &&
        known !== undefined &&
        known.length > 0 &&
        now - this.#recoveredAt < RECOVERY_GRACE_MS
      ) {
        // A matchmaker that just came back (a restarted Redis) is empty until the servers re-announce
        // themselves: keep sending to the servers we know meanwhile.
        this.#cache.set(key, { hosts: known, at: now });
        return known;
      }
      const hosts = [...found].sort();
      this.#cache.set(key, { hosts, at: now });
      return hosts;
    } catch (err) {
      // Once per outage at warning level: every lookup fails while it lasts.
      if (!this.#failing) this.logger.warn('The matchmaker is unavailable; using the last known hosts', { err });
      else this.logger.debug('The matchmaker is still unavailable', { err: (err as Error)?.message });
      this.#failing = true;
      return this.#cache.get(key)?.hosts ?? [];
    }
  }
}
