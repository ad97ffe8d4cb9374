import type { Executor } from '@oslo-messaging/core/spi';

/**
 * Runs at most `limit` tasks at once; further tasks wait in FIFO order. `submit` resolves when
 * the task has started, which is the back-pressure signal drivers wait for.
 */
export class BoundedExecutor implements Executor {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<{ task: () => Promise<void>; accepted: () => void }> = [];
  #closed = false;
  #drained: Array<() => void> = [];
  /** One function for every task's end (no closure per task). */
  readonly #done = (): void => {
    const next = this.#waiting.shift();
    if (next) {
      // The slot passes straight to the next task: the pool never runs more than its limit.
      next.accepted();
      this.#start(next.task);
      return;
    }
    this.#running--;
    // Checked first: the usual task ends with nobody waiting for a drain (splice would make an array each time).
    if (this.#running === 0 && this.#drained.length > 0) for (const d of this.#drained.splice(0)) d();
  };

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`executor pool size must be a positive integer, got ${limit}`);
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

  submit(task: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('executor is shut down'));
    if (this.#running >= this.#limit || this.#waiting.length > 0) {
      return new Promise<void>((accepted) => this.#waiting.push({ task, accepted }));
    }
    this.#running++;
    this.#start(task);
    return RESOLVED;
  }

  #start(task: () => Promise<void>): void {
    let pending: Promise<void> | undefined;
    try {
      pending = task();
    } catch {
      // Tasks handle their own errors; a throw here must not become an unhandled rejection.
      pending = undefined;
    }
    if (pending && typeof pending.then === 'function') pending.then(this.#done, this.#done);
    else queueMicrotask(this.#done);
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#running === 0 && this.#waiting.length === 0) return;
    await new Promise<void>((resolve) => this.#drained.push(resolve));
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
