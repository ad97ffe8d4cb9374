import type { Logger, Target } from '@oslo-messaging/core';
import type { Matchmaker } from '@oslo-messaging/core/spi';

/** How long close() waits for the matchmaker to take the unregistrations. */
export const CLOSE_WAIT_MS = 2000;

/** Waits for `work` (which must not reject) for at most `ms`, calling `onLate` if it took longer. */
async function within(work: Promise<unknown>, ms: number, onLate: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const outcome = await Promise.race([work, late]);
  clearTimeout(timer);
  if (outcome === 'late') onLate();
}

interface Entry {
  readonly target: Target;
  readonly member: string;
  readonly listenerType: string;
  count: number;
}

/**
 * This process's matchmaker entries, reference-counted (two local servers of one topic share the topic
 * entry), re-registered every `updateSeconds` so they outlive `expireSeconds` only while the process
 * lives, and retried every few seconds while the matchmaker is down (e.g. Redis restarting).
 */
export class Registrations {
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #closed = false;

  constructor(
    private readonly matchmaker: Matchmaker,
    private readonly expireSeconds: number,
    private readonly updateSeconds: number,
    private readonly logger: Logger,
  ) {}

  static #key(target: Target, member: string, listenerType: string): string {
    return `${listenerType}|${String(target.topic)}|${target.server ?? ''}|${member}`;
  }

  /**
   * Announces `member` for `target`; resolves once the matchmaker has it, or, when the matchmaker is
   * unreachable (Redis down), once that is logged: the entry is then retried every few seconds, so a
   * server started during an outage is found when the matchmaker is back.
   */
  async add(target: Target, member: string, listenerType: string): Promise<void> {
    const key = Registrations.#key(target, member, listenerType);
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      return;
    }
    this.#entries.set(key, { target, member, listenerType, count: 1 });
    try {
      await this.matchmaker.register(target, member, listenerType, this.expireSeconds);
      this.#schedule(this.updateSeconds);
    } catch (err) {
      this.logger.warn(`Could not register ${member} in the matchmaker; retrying every ${this.#retrySeconds()} s`, {
        err,
      });
      this.#schedule(this.#retrySeconds());
    }
  }

  #retrySeconds(): number {
    return Math.min(10, this.updateSeconds);
  }

  /** Withdraws one use of the entry; the last use unregisters it and re-announces siblings sharing its topic key. */
  async remove(target: Target, member: string, listenerType: string): Promise<void> {
    const key = Registrations.#key(target, member, listenerType);
    const entry = this.#entries.get(key);
    if (!entry || --entry.count > 0) return;
    this.#entries.delete(key);
    const work = (async () => {
      await this.matchmaker.unregister(target, member, listenerType);
      // unregister also removed `member` from the topic's key; put back the local servers still on it.
      for (const other of this.#entries.values()) {
        if (other.member === member && other.listenerType === listenerType && other.target.topic === target.topic) {
          await this.matchmaker.register(other.target, other.member, other.listenerType, this.expireSeconds);
        }
      }
    })().catch((err: unknown) =>
      this.logger.warn('Could not unregister from the matchmaker; the entry will expire', { err }),
    );
    // A server's stop does not wait for a frozen matchmaker (the work goes on in the background).
    await within(work, CLOSE_WAIT_MS, () =>
      this.logger.warn(
        `The matchmaker did not take the unregistration of ${member} within ${CLOSE_WAIT_MS} ms; it goes on in the background`,
      ),
    );
  }

  /** Refreshes in `seconds`, or sooner if a refresh is already due sooner. */
  #schedule(seconds: number): void {
    if (this.#closed) return;
    const at = Date.now() + seconds * 1000;
    if (this.#timer) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refresh();
    }, seconds * 1000);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    if (this.#entries.size === 0 || this.#closed) return;
    try {
      for (const e of this.#entries.values())
        await this.matchmaker.register(e.target, e.member, e.listenerType, this.expireSeconds);
      this.#schedule(this.updateSeconds);
    } catch (err) {
      this.logger.warn('Matchmaker refresh failed; retrying', { err });
      this.#schedule(this.#retrySeconds());
    }
  }

  /** Unregisters everything and stops refreshing. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    // In parallel, and for at most CLOSE_WAIT_MS: a frozen matchmaker would hold each for its command
    // timeout; entries left behind expire after zmq_target_expire.
    await within(
      Promise.all(
        entries.map((e) => this.matchmaker.unregister(e.target, e.member, e.listenerType).catch(() => undefined)),
      ),
      CLOSE_WAIT_MS,
      () => undefined,
    );
  }
}
