import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { promotedKB } from '../../../test-fixtures/gc/young-promotion.js';
import { IdTable } from './id-table.js';

/** A seeded generator (mulberry32): the same operations on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IdTable', () => {
  it('gets, sets, replaces and deletes as a Map does', () => {
    const t = new IdTable<number>();
    expect(t.get('a')).toBeUndefined();
    expect(t.has('a')).toBe(false);
    expect(t.set('a', 1)).toBe(t);
    t.set('b', 2);
    t.set('a', 3);
    expect(t.size).toBe(2);
    expect(t.get('a')).toBe(3);
    expect(t.has('b')).toBe(true);
    expect(t.delete('a')).toBe(true);
    expect(t.delete('a')).toBe(false);
    expect(t.get('a')).toBeUndefined();
    expect(t.size).toBe(1);
    expect(t.values()).toEqual([2]);
    t.set('', 4);
    expect(t.get('')).toBe(4);
  });

  it('agrees with a Map over random operations, from a few entries to thousands and back', () => {
    const next = random(14);
    const t = new IdTable<number>();
    const m = new Map<string, number>();
    const verify = (when: string): string | undefined => {
      if (t.size !== m.size) return `size ${t.size} against ${m.size} ${when}`;
      for (const [id, v] of m) if (t.get(id) !== v) return `get ${id} ${when}`;
      return undefined;
    };
    let mismatch: string | undefined;
    const live: string[] = [];
    // [entries to hover around, operations]: small tables (runs of slots often wrap around the end),
    // one growing to 5,000 entries, then shrinking back to a few. Fresh ids are set; live ones deleted.
    const phases: Array<[number, number]> = [
      [5, 30_000],
      [40, 30_000],
      [5000, 20_000],
      [3, 20_000],
    ];
    for (const [p, [target, ops]] of phases.entries()) {
      for (let i = 0; i < ops && mismatch === undefined; i++) {
        const r = next();
        if (r < 0.1) {
          const id = `msg-${Math.floor(next() * 1e9)}`;
          if (t.get(id) !== m.get(id)) mismatch = `get ${id} at ${p}/${i}`;
        } else if (live.length < target * (0.5 + next())) {
          const id = `msg-${Math.floor(next() * 1e9)}`;
          if (!m.has(id)) live.push(id);
          t.set(id, i);
          m.set(id, i);
        } else {
          const k = Math.floor(next() * live.length);
          const id = live[k]!;
          live[k] = live[live.length - 1]!;
          live.pop();
          if (t.delete(id) !== m.delete(id)) mismatch = `delete ${id} at ${p}/${i}`;
          if (t.delete(id) || t.has(id)) mismatch = `${id} still there at ${p}/${i}`;
        }
        // Every entry after each change while the table is small; every so often when it is large.
        if (mismatch === undefined && (target < 100 || i % 1000 === 0)) mismatch = verify(`after ${p}/${i}`);
      }
    }
    expect(mismatch).toBeUndefined();
    expect(t.values().sort((a, b) => a - b)).toEqual([...m.values()].sort((a, b) => a - b));
  });

  it('finds every entry of a long run of slots after deletions inside it', () => {
    const t = new IdTable<string>();
    const ids = Array.from({ length: 7 }, (_, i) => `call-${i}`);
    for (const id of ids) t.set(id, id);
    // Delete every other one, from the middle of whatever runs they form, then check the rest.
    for (const id of ids.filter((_, i) => i % 2 === 1)) t.delete(id);
    for (const [i, id] of ids.entries()) expect(t.get(id)).toBe(i % 2 === 1 ? undefined : id);
  });

  it('keeps no deleted entry alive through young collections, as a Map under the same churn does', () => {
    const script = fileURLToPath(new URL('./__fixtures__/churn-promotion.mjs', import.meta.url));
    // 10,000 entries of about 600 bytes each (6 MB) went through the table. A Map promotes them all (its
    // old tables link to their successors); if it stops doing so, IdTable has outlived its reason. The
    // table's own promotions are its arrays and the compiler's (20 to 250 KB seen).
    expect(promotedKB(script, 'Map')).toBeGreaterThan(5000);
    expect(promotedKB(script, 'IdTable')).toBeLessThan(1000);
  });
});
