import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineHeap, type DeadlineEntry } from './deadline-heap.js';

interface E extends DeadlineEntry {
  readonly name: string;
}
const entry = (name: string, due: number): E => ({ name, due, heapIndex: -1 });

describe('DeadlineHeap (many deadlines, one timer)', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('expires each entry at its due time, in order, and never a removed one', () => {
    const expired: string[] = [];
    const d = new DeadlineHeap<E>((e) => expired.push(`${e.name}@${Date.now() - 1_000_000}`));
    const now = Date.now();
    const es = [
      entry('c', now + 300),
      entry('a', now + 100),
      entry('e', now + 500),
      entry('b', now + 200),
      entry('d', now + 400),
      entry('x', now + 150),
    ];
    for (const e of es) d.add(e);
    d.remove(es[5]!);
    d.remove(es[5]!); // twice: nothing
    expect(d.size).toBe(5);
    vi.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a@100']);
    d.add(entry('early', Date.now() + 10)); // due before the armed timer: re-armed
    vi.advanceTimersByTime(500);
    expect(expired).toEqual(['a@100', 'early@110', 'b@200', 'c@300', 'd@400', 'e@500']);
    expect(d.size).toBe(0);
    expect(es.every((e) => e.heapIndex === -1)).toBe(true);
  });

  it('keeps the heap order under many adds and removes', () => {
    const expired: number[] = [];
    const d = new DeadlineHeap<E>((e) => expired.push(e.due));
    const now = Date.now();
    const es = Array.from({ length: 200 }, (_, i) => entry(String(i), now + 1 + ((i * 7919) % 1000)));
    for (const e of es) d.add(e);
    for (let i = 0; i < 200; i += 3) d.remove(es[i]!);
    vi.advanceTimersByTime(2000);
    const kept = es
      .filter((_, i) => i % 3 !== 0)
      .map((e) => e.due)
      .sort((x, y) => x - y);
    expect(expired).toEqual(kept);
  });

  it('stop() ends the timer: nothing expires any more', () => {
    const expire = vi.fn();
    const d = new DeadlineHeap<E>(expire);
    d.add(entry('a', Date.now() + 10));
    d.stop();
    vi.advanceTimersByTime(100);
    expect(expire).not.toHaveBeenCalled();
  });
});
