/** An entry of {@link Deadlines}: `due` in `Date.now()` ms, `heapIndex` its place in the heap (-1: none). */
export interface DeadlineEntry {
  due: number;
  heapIndex: number;
}

/**
 * Many deadlines under one timer: a binary min-heap by `due` and a single `setTimeout` armed for the
 * earliest, so a send waiting for its disposition costs no timer of its own (a timer per send was a
 * tenth of the driver's CPU under load). The timer is re-armed only when it fires or when an entry is
 * due before it, and unreferenced while the heap is empty.
 */
export class Deadlines<E extends DeadlineEntry> {
  readonly #heap: E[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;

  constructor(private readonly expire: (entry: E) => void) {}

  get size(): number {
    return this.#heap.length;
  }

  /** Adds `entry` (with its `due` set); `expire(entry)` is called once due, unless removed first. */
  add(entry: E): void {
    const h = this.#heap;
    entry.heapIndex = h.length;
    h.push(entry);
    this.#up(entry.heapIndex);
    if (this.#timer === undefined || entry.due < this.#timerDue) this.#arm(entry.due);
    else if (h.length === 1) this.#timer.ref();
  }

  /** Removes `entry` if it is in the heap. */
  remove(entry: E): void {
    const i = entry.heapIndex;
    if (i < 0) return;
    entry.heapIndex = -1;
    const h = this.#heap;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    if (h.length === 0) this.#timer?.unref();
  }

  /** Stops the timer (the entries stay; nothing expires any more). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #arm(due: number): void {
    clearTimeout(this.#timer);
    this.#timerDue = due;
    // setTimeout overflows past 2^31-1 ms (then fires after 1 ms): wake up early and re-arm instead.
    this.#timer = setTimeout(() => this.#fire(), Math.min(2 ** 31 - 1, Math.max(0, due - Date.now())));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const h = this.#heap;
    const now = Date.now();
    while (h.length > 0 && h[0]!.due <= now) {
      const e = h[0]!;
      this.remove(e);
      this.expire(e);
    }
    if (h.length > 0) this.#arm(h[0]!.due);
  }

  #up(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.due <= e.due) break;
      h[i] = pe;
      pe.heapIndex = i;
      i = p;
    }
    h[i] = e;
    e.heapIndex = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.due < h[l]!.due ? r : l;
      const ce = h[c]!;
      if (ce.due >= e.due) break;
      h[i] = ce;
      ce.heapIndex = i;
      i = c;
    }
    h[i] = e;
    e.heapIndex = i;
  }
}
