import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { promotedKB } from '../../../test-fixtures/gc/young-promotion.js';
import { InFlight, InFlightSends } from './in-flight-sends.js';

interface FakeDelivery {
  readonly id: number;
}

const sent = (id: number) => new InFlight<FakeDelivery, string>({ id }, Infinity, () => undefined);
const ids = (s: InFlightSends<FakeDelivery, string>) => s.list().map((f) => f.delivery.id);

describe('InFlightSends', () => {
  it('finds a send by its delivery, lists every send waiting, and forgets removed ones', () => {
    const s = new InFlightSends<FakeDelivery, string>();
    const [a, b, c, d] = [1, 2, 3, 4].map(sent) as [
      InFlight<FakeDelivery, string>,
      InFlight<FakeDelivery, string>,
      InFlight<FakeDelivery, string>,
      InFlight<FakeDelivery, string>,
    ];
    for (const f of [a, b, c, d]) s.add(f);
    expect(s.size).toBe(4);
    expect(s.get(c.delivery)).toBe(c);
    expect(s.get({ id: 3 })).toBeUndefined();
    expect(ids(s).sort()).toEqual([1, 2, 3, 4]);
    // The newest, one in the middle, the oldest: every place in the list.
    s.remove(d);
    s.remove(b);
    s.remove(a);
    expect(ids(s)).toEqual([3]);
    expect(s.size).toBe(1);
    expect(s.get(a.delivery)).toBeUndefined();
    // A removed send keeps no link to the others (nothing it pointed to is kept alive through it).
    expect([a.prev, a.next, b.prev, b.next, d.prev, d.next]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // Removing twice changes nothing.
    s.remove(b);
    expect(s.size).toBe(1);
    s.remove(c);
    expect(s.size).toBe(0);
    expect(s.list()).toEqual([]);
  });

  it('lets a caller remove sends while it works through the list', () => {
    const s = new InFlightSends<FakeDelivery, string>();
    for (let i = 0; i < 5; i++) s.add(sent(i));
    for (const f of s.list()) s.remove(f);
    expect(s.size).toBe(0);
  });

  it('keeps no settled send alive through young collections, as a Map under the same churn does', () => {
    const script = fileURLToPath(new URL('./__fixtures__/in-flight-churn.mjs', import.meta.url));
    // 10,000 sends of about 600 bytes each (6 MB) went through: a Map promotes them all (8 MB seen), this
    // about 20 KB. If a Map stops doing so, the WeakMap and list have outlived their reason.
    expect(promotedKB(script, 'Map')).toBeGreaterThan(5000);
    expect(promotedKB(script, 'InFlightSends')).toBeLessThan(1000);
  });
});
