/**
 * Serializes sends on one zeromq.js socket (it allows a single pending `send` at a time) without
 * making callers wait for each other's promises: messages are queued and written in order.
 */
export class SendQueue<M> {
  readonly #items: Array<{ message: M; resolve: () => void; reject: (err: Error) => void }> = [];
  #writing = false;

  constructor(private readonly write: (message: M) => Promise<void>) {}

  send(message: M): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#items.push({ message, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  /** Rejects everything still queued (socket closing). */
  failAll(err: Error): void {
    for (const item of this.#items.splice(0)) item.reject(err);
  }

  get length(): number {
    return this.#items.length;
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      for (let item = this.#items.shift(); item; item = this.#items.shift()) {
        try {
          await this.write(item.message);
          item.resolve();
        } catch (err) {
          item.reject(err as Error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
