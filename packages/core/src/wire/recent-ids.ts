import { IdTable } from '../id-table.js';

/**
 * The last `size` message ids seen, to drop re-sent duplicates as oslo does (its drivers keep the
 * last few `_unique_id`s): a ring buffer plus a set, O(1) per id.
 */
export class RecentIds {
  /** Not a `Set`: its rebuilt tables, linked to one another, kept every id ever seen alive through young collections (see {@link IdTable}). */
  readonly #ids = new IdTable<true>();
  readonly #ring: Array<string | undefined>;
  #next = 0;

  constructor(
    /** How many ids are remembered. */
    readonly size: number,
  ) {
    this.#ring = new Array<string | undefined>(size);
  }

  /** Whether `id` is among the last ids recorded (an absent id never is). */
  has(id: string | undefined): boolean {
    return id !== undefined && this.#ids.has(id);
  }

  /** Records `id` (an absent id, or one already recorded, changes nothing). */
  add(id: string | undefined): void {
    if (id !== undefined && !this.#ids.has(id)) this.#insert(id);
  }

  /** Records `id`; `true` when it was recorded before (a duplicate). One set lookup for a new id. */
  seen(id: string | undefined): boolean {
    if (id === undefined) return false;
    if (this.#ids.has(id)) return true;
    this.#insert(id);
    return false;
  }

  /** Records an id not recorded yet, evicting the oldest when full. */
  #insert(id: string): void {
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#next = this.#next + 1 === this.size ? 0 : this.#next + 1;
    this.#ids.set(id, true);
  }
}
