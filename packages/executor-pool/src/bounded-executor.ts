import type { Executor } from '@oslo-messaging/core';

/**
 * Runs at most `limit` tasks at once; further tasks wait in FIFO order. `submit` resolves when
 * the task has started, which is the back-pressure signal drivers wait for.
 */
export class BoundedExecutor implements Executor {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #closed = false;
  #drained: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`executor pool size must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a free slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  async submit(task: () => Promise<void>): Promise<void> {
    if (this.#closed) throw new Error('executor is shut down');
    if (this.#running >= this.#limit || this.#waiting.length > 0) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running++;
    void (async () => {
      try {
        await task();
      } catch {
        // Tasks handle their own errors; a throw here must not become an unhandled rejection.
      } finally {
        this.#running--;
        const next = this.#waiting.shift();
        if (next) next();
        else if (this.#running === 0) for (const d of this.#drained.splice(0)) d();
      }
    })();
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#running === 0 && this.#waiting.length === 0) return;
    await new Promise<void>((resolve) => this.#drained.push(resolve));
  }
}
