/** setTimeout's longest delay. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Entries of a {@link DeadlineHeap}: `due` is a `Date.now()` millisecond time, `heapIndex` the
 * entry's place in the heap (-1 when not in one).
 */
export interface DeadlineEntry {
  /** When the entry expires: `Date.now()` milliseconds. */
  due: number;
  /** Its place in the heap, kept by the heap (-1 when not in one); start it at -1. */
  heapIndex: number;
}

/**
 * Many deadlines under one timer: a binary min-heap of entries by `due`, and a single `setTimeout`
 * armed for the earliest. Adding and removing an entry costs O(log n) and no timer: the timer is only
 * re-armed when it fires or when an entry is due before it. It is unreferenced while the heap is empty
 * (a process with nothing in flight can exit), as the per-entry timers it replaces were cleared.
 * Core's operation tracker and reply registry use it; so can a driver with many deadlines of its own
 * (the AMQP 1.0 driver's sends waiting for their dispositions).
 */
export class DeadlineHeap<E extends DeadlineEntry> {
  readonly #heap: E[] = [];
  readonly #expire: (entry: E) => void;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  #refed = false;

  constructor(expire: (entry: E) => void) {
    this.#expire = expire;
  }

  /** Entries waiting now. */
  get size(): number {
    return this.#heap.length;
  }

  /** Adds `entry` (its `due` set); `expire(entry)` is called once it is due, unless removed first. */
  add(entry: E): void {
    const h = this.#heap;
    entry.heapIndex = h.length;
    h.push(entry);
    this.#up(entry.heapIndex);
    if (this.#timer === undefined || entry.due < this.#timerDue) this.#arm(entry.due);
    else if (!this.#refed) {
      this.#timer.ref();
      this.#refed = true;
    }
  }

  /** Stops the timer: nothing expires any more (the entries stay). For a driver shutting down. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
    this.#refed = false;
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
    if (h.length === 0 && this.#refed) {
      this.#timer?.unref();
      this.#refed = false;
    }
  }

  #arm(due: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#refed = true;
    // setTimeout overflows past 2^31-1 ms (it would fire after 1 ms): wake up early and re-arm instead.
    this.#timer = setTimeout(this.#fire, Math.min(MAX_TIMEOUT_MS, Math.max(0, due - Date.now())));
  }

  readonly #fire = (): void => {
    // The timer fired, so its due time has passed whatever the wall clock says (unless it woke up early
    // for a due time beyond setTimeout's range).
    const due = this.#timerDue;
    const now = due - Date.now() > MAX_TIMEOUT_MS ? Date.now() : Math.max(Date.now(), due);
    this.#timer = undefined;
    this.#timerDue = Infinity;
    this.#refed = false;
    const h = this.#heap;
    while (h.length > 0 && h[0]!.due <= now) {
      const entry = h[0]!;
      this.remove(entry);
      this.#expire(entry);
    }
    if (h.length > 0 && this.#timer === undefined) this.#arm(h[0]!.due);
  };

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
      if (e.due <= ce.due) break;
      h[i] = ce;
      ce.heapIndex = i;
      i = c;
    }
    h[i] = e;
    e.heapIndex = i;
  }
}
