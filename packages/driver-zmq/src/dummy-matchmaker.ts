import { type Target } from '@oslo-messaging/core';
import { matchmakerKeys, type Matchmaker } from '@oslo-messaging/core/spi';

type Table = Map<string, Map<string, number>>;
const TABLE = Symbol.for('@oslo-messaging/driver-zmq/dummy-matchmaker');
/** One table per process, shared by every copy of this module (like a broker per process). */
const table = ((globalThis as Record<symbol, Table | undefined>)[TABLE] ??= new Map<string, Map<string, number>>());

/**
 * oslo's `dummy` matchmaker: an in-process table with expiry. Every transport of one process sees the
 * same entries, so it serves single-process deployments and tests; other processes cannot see them.
 */
export class DummyMatchmaker implements Matchmaker {
  #closed = false;

  async register(target: Target, address: string, listenerType: string, expireSeconds: number): Promise<void> {
    const expires = Date.now() + expireSeconds * 1000;
    const keys = matchmakerKeys(target, listenerType);
    for (const key of [keys.topic, keys.server]) {
      if (key === undefined) continue;
      let members = table.get(key);
      if (!members) table.set(key, (members = new Map<string, number>()));
      members.set(address, expires);
    }
  }

  async unregister(target: Target, address: string, listenerType: string): Promise<void> {
    const keys = matchmakerKeys(target, listenerType);
    for (const key of [keys.topic, keys.server]) {
      if (key === undefined) continue;
      const members = table.get(key);
      members?.delete(address);
      if (members?.size === 0) table.delete(key);
    }
  }

  async getHosts(target: Target, listenerType: string): Promise<string[]> {
    const keys = matchmakerKeys(target, listenerType);
    return live(keys.server ?? keys.topic);
  }

  async getHostsFanout(target: Target, listenerType: string): Promise<string[]> {
    return live(matchmakerKeys(target, listenerType).topic);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }
}

function live(key: string): string[] {
  const members = table.get(key);
  if (!members) return [];
  const now = Date.now();
  const out: string[] = [];
  for (const [address, expires] of members) {
    if (expires > now) out.push(address);
    else members.delete(address);
  }
  return out;
}
