import type { DeadlineEntry } from '@oslo-messaging/core/spi';

/** A sent delivery waiting for the peer's disposition (at most until `due`). */
export class InFlight<D extends object, O> implements DeadlineEntry {
  heapIndex = -1;
  stopListening: (() => void) | undefined;
  /** @internal */ prev: InFlight<D, O> | undefined;
  /** @internal */ next: InFlight<D, O> | undefined;

  constructor(
    readonly delivery: D,
    public due: number,
    readonly resolve: (outcome: O) => void,
  ) {}
}

/**
 * The sends waiting for their disposition: found by their delivery (a `WeakMap`), walked through a list
 * of their own (on a connection loss, a detached link, close).
 *
 * Not a `Map`: under the churn of one entry per send, V8 rebuilds a `Map`'s table every few insertions and
 * links the old table to the new one; once an old table had been promoted, that link kept every later
 * table, and every send they held (its delivery, its message, its caller's promise), alive through the
 * young collections: 430 KB survived each one at 10 callers on RabbitMQ, 30 KB with this (see core's
 * `IdTable`, which does the same for ids). A `WeakMap`'s tables are not linked, and a removed entry is
 * unlinked from the list and its links cleared.
 */
export class InFlightSends<D extends object, O> {
  readonly #byDelivery = new WeakMap<D, InFlight<D, O>>();
  #head: InFlight<D, O> | undefined;
  #size = 0;

  /** Sends waiting now. */
  get size(): number {
    return this.#size;
  }

  /** Adds `f` (its delivery not waiting yet). */
  add(f: InFlight<D, O>): void {
    this.#byDelivery.set(f.delivery, f);
    const head = this.#head;
    f.next = head;
    if (head) head.prev = f;
    this.#head = f;
    this.#size++;
  }

  /** The send waiting for `delivery`'s disposition, if any. */
  get(delivery: D): InFlight<D, O> | undefined {
    return this.#byDelivery.get(delivery);
  }

  /** Removes `f`; nothing if it is not waiting (removed already). */
  remove(f: InFlight<D, O>): void {
    if (this.#byDelivery.get(f.delivery) !== f) return;
    this.#byDelivery.delete(f.delivery);
    if (f.prev) f.prev.next = f.next;
    else this.#head = f.next;
    if (f.next) f.next.prev = f.prev;
    f.prev = f.next = undefined;
    this.#size--;
  }

  /** The sends waiting now (a copy: the caller may remove them while it works through it). */
  list(): Array<InFlight<D, O>> {
    const out: Array<InFlight<D, O>> = [];
    for (let f = this.#head; f; f = f.next) out.push(f);
    return out;
  }
}
