import type { RequestFrames } from './frames.js';
import { EVERY_POOL, MessageType } from './frames.js';

/** One listener of this process: an RPC server (topic + server name) or a notification listener (pool). */
export interface LocalEndpoint {
  readonly topic: string;
  /** RPC: the server name. Notifications: the pool ('' for the default group). */
  readonly group: string;
  deliver(request: RequestFrames, identity: Buffer): void;
}

/** Round-robin over a list, tolerant of the list changing between picks. */
function pick<T>(list: readonly T[], counter: { n: number }): T | undefined {
  if (list.length === 0) return undefined;
  return list[counter.n++ % list.length];
}

/**
 * Which local endpoints get an incoming message: RPC to the topic goes to one of its servers
 * (round-robin), to `topic + server` to that server, fanout to every server of the topic; a
 * notification goes to one member of the named pool, or to one member of every pool for `*`.
 */
export class LocalRoutes {
  readonly #rpc = new Map<string, LocalEndpoint[]>();
  readonly #notify = new Map<string, LocalEndpoint[]>();
  readonly #counter = { n: 0 };

  add(kind: 'rpc' | 'notify', endpoint: LocalEndpoint): void {
    const map = kind === 'rpc' ? this.#rpc : this.#notify;
    map.set(endpoint.topic, [...(map.get(endpoint.topic) ?? []), endpoint]);
  }

  remove(kind: 'rpc' | 'notify', endpoint: LocalEndpoint): void {
    const map = kind === 'rpc' ? this.#rpc : this.#notify;
    const rest = (map.get(endpoint.topic) ?? []).filter((e) => e !== endpoint);
    if (rest.length > 0) map.set(endpoint.topic, rest);
    else map.delete(endpoint.topic);
  }

  /** Endpoints still registered for `topic` (RPC) or `topic.priority` (notifications). */
  count(kind: 'rpc' | 'notify', topic: string, group?: string): number {
    const list = (kind === 'rpc' ? this.#rpc : this.#notify).get(topic) ?? [];
    return group === undefined ? list.length : list.filter((e) => e.group === group).length;
  }

  get empty(): boolean {
    return this.#rpc.size === 0 && this.#notify.size === 0;
  }

  /** The endpoints that should receive `request`; empty when this process serves nothing matching. */
  resolve(request: RequestFrames): LocalEndpoint[] {
    if (request.type === MessageType.NOTIFY) {
      const members = this.#notify.get(request.topic) ?? [];
      if (request.server !== EVERY_POOL) {
        const one = pick(
          members.filter((e) => e.group === request.server),
          this.#counter,
        );
        return one ? [one] : [];
      }
      const groups = new Map<string, LocalEndpoint[]>();
      for (const e of members) groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
      return [...groups.values()].map((g) => pick(g, this.#counter)!);
    }
    const servers = this.#rpc.get(request.topic) ?? [];
    if (request.type === MessageType.CAST_FANOUT) return [...servers];
    if (request.server !== '') return servers.filter((e) => e.group === request.server).slice(0, 1);
    const one = pick(servers, this.#counter);
    return one ? [one] : [];
  }

  /** Another member of `endpoint`'s notification group (for a requeue), or the endpoint itself. */
  sibling(endpoint: LocalEndpoint): LocalEndpoint {
    const members = (this.#notify.get(endpoint.topic) ?? []).filter((e) => e.group === endpoint.group);
    return pick(members, this.#counter) ?? endpoint;
  }
}
