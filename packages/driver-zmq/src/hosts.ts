import { Target, type Logger, type Matchmaker } from '@oslo-messaging/core';
import { EVERY_POOL } from './frames.js';

/** Listener types, the first segment of matchmaker keys. */
export const LISTENER_TYPE = { rpc: 'ROUTER', notify: 'NOTIFY' } as const;

/**
 * A notification member is `host:port/<pool>` (pool may be empty: the default group). A bare
 * `host:port` (as a static file lists it) means "that process, every pool there".
 */
export function parseNotifyMember(member: string): { address: string; pool: string } {
  const slash = member.indexOf('/');
  return slash < 0 ? { address: member, pool: EVERY_POOL } : { address: member.slice(0, slash), pool: member.slice(slash + 1) };
}

export const notifyMember = (address: string, pool: string | undefined): string => `${address}/${pool ?? ''}`;

interface Cached {
  hosts: string[];
  at: number;
}

/**
 * Asks the matchmaker which processes serve a target, caching answers for `ttlMs` and keeping the
 * last good answer while the matchmaker is unreachable (a Redis restart must not stop traffic).
 */
export class HostCache {
  readonly #cache = new Map<string, Cached>();

  constructor(
    private readonly matchmaker: Matchmaker,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Processes serving `topic` (and `server`, when given); `fanout` asks for every server of the topic.
   * A cache hit is answered synchronously (no promise on the hot path).
   */
  lookup(topic: string, server: string | undefined, listenerType: string, fanout: boolean, fresh = false): string[] | Promise<string[]> {
    const key = `${fanout ? 'f' : 'h'}\0${listenerType}\0${topic}\0${server ?? ''}`;
    const hit = this.#cache.get(key);
    if (hit && !fresh && Date.now() - hit.at < this.ttlMs) return hit.hosts;
    return this.#ask(key, hit, new Target({ topic, server }), listenerType, fanout);
  }

  async #ask(key: string, hit: Cached | undefined, target: Target, listenerType: string, fanout: boolean): Promise<string[]> {
    try {
      const hosts = fanout ? await this.matchmaker.getHostsFanout(target, listenerType) : await this.matchmaker.getHosts(target, listenerType);
      this.#cache.set(key, { hosts, at: Date.now() });
      return hosts;
    } catch (err) {
      this.logger.warn('The matchmaker is unavailable; using the last known hosts', { err });
      return hit?.hosts ?? [];
    }
  }
}
