import { describe, expect, it } from 'vitest';
import {
  formatPythonDatetime,
  JsonPayloadSerializer,
  NoOpSerializer,
  RequestContextSerializer,
  toPrimitive,
} from './serializer.js';

describe('NoOpSerializer', () => {
  it('returns what it is given', () => {
    const s = new NoOpSerializer();
    const entity = { a: new Date(0) };
    const ctxt = { user: 'u' };
    expect(s.serializeEntity(ctxt, entity)).toBe(entity);
    expect(s.deserializeEntity(ctxt, entity)).toBe(entity);
    expect(s.serializeContext(ctxt)).toBe(ctxt);
    expect(s.deserializeContext(ctxt)).toBe(ctxt);
  });
});

describe('toPrimitive (jsonutils.to_primitive(convert_instances=True))', () => {
  it('formats datetimes like Python jsonutils (microseconds, no zone)', () => {
    const d = new Date(Date.UTC(1920, 1, 3, 4, 5, 6, 7));
    expect(formatPythonDatetime(d)).toBe('1920-02-03T04:05:06.007000');
    expect(toPrimitive({ when: d })).toEqual({ when: '1920-02-03T04:05:06.007000' });
  });

  it('converts containers, bigints, bytes, errors and class instances', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      norm() {
        return 0;
      }
    }
    expect(
      toPrimitive({
        n: 1,
        s: 's',
        b: true,
        nil: null,
        undef: undefined,
        big: 12345678901234567890n,
        bytes: new TextEncoder().encode('hé'),
        map: new Map<unknown, unknown>([[1, new Set(['a'])]]),
        list: [new Point(1, 2)],
        err: new RangeError('bad'),
        json: { toJSON: () => ({ k: 'v' }) },
      }),
    ).toEqual({
      n: 1,
      s: 's',
      b: true,
      nil: null,
      undef: null,
      big: '12345678901234567890',
      bytes: 'hé',
      map: { '1': ['a'] },
      list: [{ x: 1, y: 2 }],
      err: 'RangeError: bad',
      json: { k: 'v' },
    });
  });

  it('stops at depth 100 instead of overflowing on cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    let v = toPrimitive(cyclic) as Record<string, unknown>;
    let depth = 0;
    while (typeof v === 'object' && v !== null) {
      v = v['self'] as Record<string, unknown>;
      depth++;
    }
    expect(v).toBe('?');
    expect(depth).toBe(101);
  });
});

describe('JsonPayloadSerializer', () => {
  it('serializes entities to primitives and leaves deserialization alone', () => {
    const s = new JsonPayloadSerializer();
    expect(s.serializeEntity({}, { d: new Date(0) })).toEqual({ d: '1970-01-01T00:00:00.000000' });
    const raw = { d: '1970-01-01T00:00:00.000000' };
    expect(s.deserializeEntity({}, raw)).toBe(raw);
  });
});

describe('RequestContextSerializer', () => {
  class Ctx {
    constructor(readonly user: string) {}
    toDict() {
      return { user: this.user };
    }
  }

  it('sends the context as toDict() and rebuilds it with fromDict', () => {
    const s = new RequestContextSerializer((d) => new Ctx(String(d['user'])));
    expect(s.serializeContext(new Ctx('alice'))).toEqual({ user: 'alice' });
    const back = s.deserializeContext({ user: 'bob' });
    expect(back).toBeInstanceOf(Ctx);
    expect(back.user).toBe('bob');
  });

  it('delegates entities to the base serializer with the context dict', () => {
    const seen: unknown[] = [];
    const base = {
      serializeEntity: (c: unknown, e: unknown) => (seen.push(['ser', c]), `S(${String(e)})`),
      deserializeEntity: (c: unknown, e: unknown) => (seen.push(['de', c]), `D(${String(e)})`),
      serializeContext: (c: Record<string, unknown>) => c,
      deserializeContext: (c: Record<string, unknown>) => c,
    };
    const s = new RequestContextSerializer((d) => new Ctx(String(d['user'])), base);
    expect(s.serializeEntity(new Ctx('a'), 1)).toBe('S(1)');
    expect(s.deserializeEntity(new Ctx('a'), 2)).toBe('D(2)');
    expect(seen).toEqual([
      ['ser', { user: 'a' }],
      ['de', { user: 'a' }],
    ]);
  });
});
