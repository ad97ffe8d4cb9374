/** The last `size` message ids seen, to drop re-sent duplicates (a ring buffer plus a set: O(1) per id). */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #ring: Array<string | undefined>;
  #next = 0;

  constructor(readonly size: number) {
    this.#ring = new Array<string | undefined>(size);
  }

  /** Records `id`; true when it was seen before. */
  seen(id: string): boolean {
    if (this.#ids.has(id)) return true;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.size;
    this.#ids.add(id);
    return false;
  }
}
