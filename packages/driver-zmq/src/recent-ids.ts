/** The last `size` message ids seen, to drop re-sent duplicates (insertion-ordered, O(1) per id). */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(readonly size: number) {}

  /** Records `id`; true when it was seen before. */
  seen(id: string): boolean {
    if (this.#ids.has(id)) return true;
    this.#ids.add(id);
    if (this.#ids.size > this.size) this.#ids.delete(this.#ids.values().next().value!);
    return false;
  }
}
