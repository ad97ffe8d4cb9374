import { describe, expect, it } from 'vitest';
import { InvalidTarget } from './errors.js';
import { assertNotificationListenable, assertRpcListenable, assertSendable, Target } from './target.js';

describe('Target', () => {
  it('defaults every field to undefined and legacyNamespaces to []', () => {
    const t = new Target();
    for (const k of ['exchange', 'topic', 'namespace', 'version', 'server', 'fanout'] as const)
      expect(t[k]).toBeUndefined();
    expect(t.legacyNamespaces).toEqual([]);
    expect(t.acceptedNamespaces).toEqual([undefined]);
  });

  it('treats null as unset (Python None)', () => {
    const t = new Target({ topic: null as unknown as string, fanout: null as unknown as boolean });
    expect(t.topic).toBeUndefined();
    expect(t.fanout).toBeUndefined();
  });

  it('is frozen', () => {
    const t = new Target({ topic: 't', legacyNamespaces: ['a'] });
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.legacyNamespaces)).toBe(true);
    expect(() => {
      (t as { topic: string }).topic = 'x';
    }).toThrow(TypeError);
  });

  it('rejects fields of the wrong type with InvalidTarget', () => {
    expect(() => new Target({ topic: 42 as unknown as string })).toThrow(InvalidTarget);
    expect(() => new Target({ topic: 42 as unknown as string })).toThrow(/topic must be a string, got number/);
    expect(() => new Target({ fanout: 'yes' as unknown as boolean })).toThrow(/fanout must be a boolean/);
  });

  it('accepts the namespace and the legacy namespaces', () => {
    const t = new Target({ namespace: 'ns', legacyNamespaces: ['old', 'older'] });
    expect(t.acceptedNamespaces).toEqual(['ns', 'old', 'older']);
  });

  it('with() replaces fields, clears with explicit undefined, and drops legacy namespaces like target(**kw)', () => {
    const t = new Target({ exchange: 'x', topic: 't', server: 's', version: '1.0', legacyNamespaces: ['old'] });
    const u = t.with({ server: 'other', fanout: true });
    expect(u.toJSON()).toEqual({ exchange: 'x', topic: 't', server: 'other', version: '1.0', fanout: true });
    expect(u.legacyNamespaces).toEqual([]);
    expect(t.server).toBe('s'); // unchanged
    expect(t.with({ server: undefined }).server).toBeUndefined();
    expect(t.with({ legacyNamespaces: ['again'] }).legacyNamespaces).toEqual(['again']);
  });

  it('equals compares every field, legacy namespaces included, and accepts plain fields', () => {
    const t = new Target({ topic: 't', server: 's' });
    expect(t.equals(new Target({ topic: 't', server: 's' }))).toBe(true);
    expect(t.equals({ topic: 't', server: 's' })).toBe(true);
    expect(t.equals({ topic: 't' })).toBe(false);
    expect(t.equals({ topic: 't', server: 's', fanout: false })).toBe(false);
    expect(t.equals({ topic: 't', server: 's', legacyNamespaces: ['x'] })).toBe(false);
  });

  it('prints like oslo, only the fields that are set', () => {
    expect(String(new Target({ topic: 't', server: 's', fanout: true }))).toBe(
      '<Target topic=t, server=s, fanout=true>',
    );
    expect(String(new Target())).toBe('<Target >');
  });

  it('from() keeps a Target and builds one from fields', () => {
    const t = new Target({ topic: 't' });
    expect(Target.from(t)).toBe(t);
    expect(Target.from({ topic: 'u' })).toBeInstanceOf(Target);
  });
});

describe('target assertions', () => {
  it('sending needs a topic', () => {
    expect(() => assertSendable(new Target({ server: 's' }))).toThrow(InvalidTarget);
    expect(() => assertSendable(new Target({ topic: '' }))).toThrow('A topic is required to send: <Target >');
    expect(() => assertSendable(new Target({ topic: 't' }))).not.toThrow();
  });

  it('an RPC server needs topic and server', () => {
    expect(() => assertRpcListenable(new Target({ topic: 't' }))).toThrow(
      "A server's target must have topic and server names specified: <Target topic=t>",
    );
    expect(() => assertRpcListenable(new Target({ server: 's' }))).toThrow(InvalidTarget);
    expect(() => assertRpcListenable(new Target({ topic: 't', server: 's' }))).not.toThrow();
  });

  it('a notification listener needs a topic', () => {
    expect(() => assertNotificationListenable(new Target({ exchange: 'e' }))).toThrow(
      'A target must have topic specified',
    );
    expect(() => assertNotificationListenable(new Target({ topic: 'notifications' }))).not.toThrow();
  });

  it('InvalidTarget keeps the target', () => {
    const t = new Target({ server: 's' });
    try {
      assertSendable(t);
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidTarget).target).toBe(t);
      expect((err as InvalidTarget).code).toBe('OSLO_INVALID_TARGET');
    }
  });
});
