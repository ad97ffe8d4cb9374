/**
 * Broker endpoints that recently stopped answering, shared by one driver's connections so that a
 * reconnection tries the others first.
 *
 * A frozen broker (SIGSTOP, a hung VM, a network partition that drops packets) is not refused: the
 * kernel still accepts TCP connections on its port, and a connection attempt waits for the AMQP
 * handshake until its socket timeout. One connection learns of the freeze (missed heartbeats, or an
 * attempt that timed out); without sharing it, every other connection of the process (reply, send
 * pool, listeners) that reconnects later can still dial that host first and lose the whole timeout.
 * A host is remembered for a while or until a connection to it succeeds; when every host is
 * remembered, they are all tried anyway, in the usual order.
 */
export class UnresponsiveHosts {
  /** Host key → `now()` until which it counts as unresponsive. */
  readonly #until = new Map<string, number>();

  constructor(
    /** How long a host is tried last after it stopped answering. */
    readonly rememberForMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers that `host` stopped answering. */
  mark(host: string): void {
    this.#until.set(host, this.now() + this.rememberForMs);
  }

  /** Forgets `host` (a connection to it succeeded). */
  clear(host: string): void {
    this.#until.delete(host);
  }

  /** Whether `host` stopped answering within the last {@link UnresponsiveHosts.rememberForMs}. */
  has(host: string): boolean {
    const until = this.#until.get(host);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#until.delete(host);
    return false;
  }

  /**
   * The order in which to try `keys` (as indexes), round-robin from `start`: the responsive hosts
   * first, then the unresponsive ones, each group in round-robin order.
   */
  order(keys: readonly string[], start: number): number[] {
    const first: number[] = [];
    const last: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const index = (start + i) % keys.length;
      (this.has(keys[index]!) ? last : first).push(index);
    }
    return first.concat(last);
  }
}

/**
 * Whether a failed connection attempt means the host did not answer (as opposed to refusing: a closed
 * port, a login failure), judged by its error: a socket or handshake timeout.
 */
export function isUnanswered(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ETIMEDOUT' || /\bETIMEDOUT\b|timed out/i.test(err.message);
}
