/**
 * Serializes sends on one zeromq.js socket (it allows a single pending `send` at a time) and batches
 * what queues up meanwhile: `write` gets every waiting message at once and may put them into one
 * multipart message (zeromq.js pays per native send, so this is what keeps many concurrent calls fast).
 * The first message of an event-loop turn is written at once; the others that turn produces (the replies
 * to a burst of requests, say) leave in one batch at its end (`setImmediate`).
 */
/** Event-loop turns, counted by one `setImmediate` per turn shared by every queue (not one per queue and message). */
let turn = 0;
let turnEnds = false;
const endTurn = (): void => {
  turn++;
  turnEnds = false;
};
function currentTurn(): number {
  if (!turnEnds) {
    turnEnds = true;
    setImmediate(endTurn);
  }
  return turn;
}

export class SendQueue<M> {
  #items: Array<{
    message: M;
    resolve: (() => void) | undefined;
    reject: (err: Error) => void;
    live: (() => boolean) | undefined;
  }> = [];
  #writing = false;
  /** The turn in which this queue last wrote a message at once. */
  #wroteIn = -1;

  /**
   * @param write writes a batch; returns an error per message that failed (or nothing when all went),
   *   and throws when the whole batch failed.
   */
  /**
   * @param ready asked before each batch: a promise to wait for first (the connection coming up), or
   *   nothing to write at once; a rejection fails every message queued by then.
   */
  constructor(
    private readonly write: (batch: M[]) => Promise<ReadonlyArray<Error | undefined> | undefined>,
    private readonly maxBatch = 128,
    private readonly ready?: () => Promise<void> | undefined,
  ) {}

  /** Resolves once `message` is handed to ZeroMQ; rejects when it could not be. */
  send(message: M): Promise<void> {
    return new Promise((resolve, reject) => this.#enqueue(message, resolve, reject, undefined));
  }

  /**
   * Like {@link send} without a promise: `onError` hears about a failure (the hot path of calls).
   * `live`, asked before the message is written after a wait for the connection, drops it (silently)
   * when it says false: the sender gave up on a message still queued behind a connection that was not
   * up. (Not asked when the connection was up: the message leaves in the turn it was queued, or the next.)
   */
  push(message: M, onError: (err: Error) => void, live?: () => boolean): void {
    this.#enqueue(message, undefined, onError, live);
  }

  #enqueue(
    message: M,
    resolve: (() => void) | undefined,
    reject: (err: Error) => void,
    live: (() => boolean) | undefined,
  ): void {
    {
      this.#items.push({ message, resolve, reject, live });
      if (this.#writing) return;
      this.#writing = true;
      const now = currentTurn();
      if (this.#wroteIn !== now) {
        // The first message of an event-loop turn leaves at once (no added latency)...
        this.#wroteIn = now;
        void this.#drain();
      } else {
        // ...the rest of the turn's messages leave together at its end.
        setImmediate(() => void this.#drain());
      }
    }
  }

  /** Rejects everything still queued (socket closing). */
  failAll(err: Error): void {
    for (const item of this.#items.splice(0)) item.reject(err);
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    /** How many messages at the head of the queue waited for the connection (only those are asked `live`). */
    let waited = 0;
    try {
      while (this.#items.length > 0) {
        const waiting = this.ready?.();
        if (waiting !== undefined) {
          try {
            await waiting;
            waited = this.#items.length;
          } catch (err) {
            for (const b of this.#items.splice(0)) if (b.live === undefined || b.live()) b.reject(err as Error);
            continue;
          }
        }
        let batch = this.#items.length <= this.maxBatch ? this.#items : this.#items.slice(0, this.maxBatch);
        this.#items = this.#items.length <= this.maxBatch ? [] : this.#items.slice(this.maxBatch);
        const check = waited;
        waited = Math.max(0, waited - batch.length);
        if (check > 0 && batch.some((b, i) => i < check && b.live !== undefined && !b.live())) {
          batch = batch.filter((b, i) => i >= check || b.live === undefined || b.live());
          if (batch.length === 0) continue;
        }
        try {
          const errors = await this.write(batch.map((b) => b.message));
          batch.forEach((b, i) => {
            const err = errors?.[i];
            if (err) b.reject(err);
            else b.resolve?.();
          });
        } catch (err) {
          for (const b of batch) b.reject(err as Error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
