import { statSync } from 'node:fs';
import type { Logger, Target } from '@oslo-messaging/core';
import type { Matchmaker } from '@oslo-messaging/core/spi';
import { readRing, type Ring } from './ring-file.js';

/**
 * A matchmaker whose answers come from a file, like oslo's `MatchMakerRing`: servers do not register
 * (they must listen where the file says, e.g. with `rpc_zmq_bind_port`), and the file is re-read when it
 * changes. A process listed for a topic it does not serve refuses the message and the client moves on.
 */
export class StaticMatchmaker implements Matchmaker {
  #ring: Ring;
  #mtime: number;
  #checked = Date.now();

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    this.#ring = readRing(file);
    this.#mtime = statSync(file).mtimeMs;
  }

  /** Re-reads the file if it changed (checked at most once a second); keeps the old ring if the new one is bad. */
  #current(): Ring {
    if (Date.now() - this.#checked < 1000) return this.#ring;
    this.#checked = Date.now();
    try {
      const mtime = statSync(this.file).mtimeMs;
      if (mtime !== this.#mtime) {
        this.#ring = readRing(this.file);
        this.#mtime = mtime;
      }
    } catch (err) {
      this.logger.warn(`Keeping the previous ring: ${(err as Error).message}`);
    }
    return this.#ring;
  }

  /** Static: nothing to announce. */
  async register(): Promise<void> {}
  async unregister(): Promise<void> {}

  #topicHosts(ring: Ring, topic: string, listenerType: string): string[] {
    const candidates = [topic];
    // Notification topics are `<topic>.<priority>`: fall back to the bare topic.
    if (listenerType === 'NOTIFY' && topic.includes('.')) candidates.push(topic.slice(0, topic.lastIndexOf('.')));
    for (const t of [...candidates, '*']) {
      const hosts = ring.topics.get(t);
      if (hosts) return [...hosts];
    }
    return [];
  }

  async getHosts(target: Target, listenerType: string): Promise<string[]> {
    const ring = this.#current();
    const topic = String(target.topic);
    if (target.server) {
      const exact = ring.servers.get(topic)?.get(target.server) ?? ring.topics.get(`${topic}.${target.server}`);
      if (exact) return [...exact];
    }
    return this.#topicHosts(ring, topic, listenerType);
  }

  async getHostsFanout(target: Target, listenerType: string): Promise<string[]> {
    return this.#topicHosts(this.#current(), String(target.topic), listenerType);
  }

  async close(): Promise<void> {}
}
