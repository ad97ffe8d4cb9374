import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('reports a duplicate among the last `size` ids, and forgets older ones', () => {
    const recent = new RecentIds(3);
    expect(['a', 'b', 'c'].map((id) => recent.seen(id))).toEqual([false, false, false]);
    expect(recent.seen('a')).toBe(true);
    expect(recent.seen('d')).toBe(false); // evicts a
    expect(recent.has('a')).toBe(false);
    expect(recent.has('d')).toBe(true);
  });

  it('keeps has and add apart (a notification counts as seen once acknowledged), and ignores absent ids', () => {
    const recent = new RecentIds(2);
    expect(recent.has('x')).toBe(false);
    recent.add('x');
    recent.add('x');
    expect(recent.has('x')).toBe(true);
    recent.add(undefined);
    expect(recent.seen(undefined)).toBe(false);
    recent.add('y');
    expect(recent.has('x')).toBe(true);
    recent.add('z');
    expect(recent.has('x')).toBe(false);
  });
});
