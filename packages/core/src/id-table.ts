/** The smallest table (slots); capacities are powers of two. */
const MIN_CAPACITY = 16;

/**
 * A table of entries by string id, for entries added and removed at message rate (the calls waiting
 * for their replies, the deliveries waiting for their dispositions): the `get`/`set`/`delete` of a
 * `Map`, without what a `Map` costs the garbage collector under that churn.
 *
 * Why not a `Map`: when entries are deleted as fast as they are added, V8 rebuilds a `Map`'s table
 * every few insertions and links the table it leaves to the one it makes (for iterators still
 * walking the old one). Once one table has lived long enough to be moved to the old generation, that
 * link, from a table no one uses any more, keeps its successor alive through every young-generation
 * collection, and that successor its own, with every entry each of them ever held: everything ever
 * added survives until the next full collection, and is copied and promoted meanwhile. At ten calls
 * in flight on RabbitMQ that was 1 MB promoted per young collection instead of 20 KB, with the
 * young generation grown to 16 MB to hold it.
 *
 * Here, open addressing with linear probing over two arrays that are replaced only when the table
 * grows or shrinks (never linked to each other), and a deleted entry's slot is cleared at once
 * (backward-shift deletion, no tombstones): nothing stays referenced once deleted.
 */
export class IdTable<V> {
  #keys: Array<string | undefined> = new Array<string | undefined>(MIN_CAPACITY).fill(undefined);
  #values: Array<V | undefined> = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  #mask = MIN_CAPACITY - 1;
  #size = 0;

  /** Entries in the table. */
  get size(): number {
    return this.#size;
  }

  /** The entry of `id`, if any. */
  get(id: string): V | undefined {
    const slot = this.#slotOf(id);
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Whether `id` has an entry. */
  has(id: string): boolean {
    return this.#slotOf(id) >= 0;
  }

  /** Sets the entry of `id` (replacing the one it had). */
  set(id: string, value: V): this {
    const keys = this.#keys;
    const mask = this.#mask;
    let i = hash(id) & mask;
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === undefined) break;
      if (k === id) {
        this.#values[i] = value;
        return this;
      }
    }
    keys[i] = id;
    this.#values[i] = value;
    // At most half full: probes stay short, and a free slot always ends a probe.
    if (++this.#size > mask >> 1) this.#resize((mask + 1) * 2);
    return this;
  }

  /** Deletes the entry of `id`; `true` when there was one. */
  delete(id: string): boolean {
    const slot = this.#slotOf(id);
    if (slot < 0) return false;
    this.#clear(slot);
    this.#size--;
    const capacity = this.#mask + 1;
    if (capacity > MIN_CAPACITY && this.#size < capacity >> 3) this.#resize(capacity >> 1);
    return true;
  }

  /** The entries now (a copy: the table may change while the caller works through them). */
  values(): V[] {
    const out: V[] = [];
    const keys = this.#keys;
    const values = this.#values;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== undefined) out.push(values[i] as V);
    return out;
  }

  #slotOf(id: string): number {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let i = hash(id) & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === undefined) return -1;
      if (k === id) return i;
    }
  }

  /**
   * Empties `slot`, moving back the entries after it in its run that would otherwise be cut off from
   * their home slot (linear probing's deletion without tombstones).
   */
  #clear(slot: number): void {
    const keys = this.#keys;
    const values = this.#values;
    const mask = this.#mask;
    let hole = slot;
    for (let i = (slot + 1) & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === undefined) break;
      const home = hash(k) & mask;
      // Move k into the hole unless its home lies cyclically in (hole, i].
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        keys[hole] = k;
        values[hole] = values[i];
        hole = i;
      }
    }
    keys[hole] = undefined;
    values[hole] = undefined;
  }

  #resize(capacity: number): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    const keys = new Array<string | undefined>(capacity).fill(undefined);
    const values = new Array<V | undefined>(capacity).fill(undefined);
    const mask = capacity - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j];
      if (k === undefined) continue;
      let i = hash(k) & mask;
      while (keys[i] !== undefined) i = (i + 1) & mask;
      keys[i] = k;
      values[i] = oldValues[j];
    }
    this.#keys = keys;
    this.#values = values;
    this.#mask = mask;
  }
}

/** FNV-1a over the id's UTF-16 code units, with a final avalanche (ids that differ in one character spread). */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
