import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deserializeEnvelope } from './envelope.js';
import { packContext, unpackContext } from './context.js';

interface Capture {
  scenario: string;
  body_raw: string;
}
const CAPTURES = JSON.parse(
  readFileSync(new URL('../../../../test-fixtures/oslo-wire/rabbit-messages.json', import.meta.url), 'utf8'),
) as Capture[];
const capture = (scenario: string) => deserializeEnvelope(CAPTURES.find((c) => c.scenario === scenario)!.body_raw);
const PY_CTXT = { user_id: 'u1', project_id: 'p1', request_id: 'req-123', is_admin: false };

describe('unpackContext on captured Python messages', () => {
  it('splits an RPC call request into context, bookkeeping and body', () => {
    const u = unpackContext(capture('rpc-call-request'));
    expect(u.ctxt).toEqual(PY_CTXT);
    expect(u.message).toEqual({ method: 'echo', args: { payload: { a: 1, b: [1, 2, 'x'] } }, version: '1.0' });
    expect(u.msgId).toBe('ccc70731c1704c4da9abe145e066950e');
    expect(u.replyQueue).toBe('reply_8a4f128be49e4e4c962308b9722ed46f');
    expect(u.clientTimeout).toBeNull();
    expect(u.uniqueId).toBe('38e3f13d7ddc4683b74ac36a928972a2');
  });

  it('a cast has no msg id or reply queue', () => {
    const u = unpackContext(capture('rpc-cast-topic'));
    expect(u.msgId).toBeUndefined();
    expect(u.replyQueue).toBeUndefined();
    expect(u.ctxt).toEqual(PY_CTXT);
    expect(u.message['method']).toBe('count');
  });

  it('a notification keeps its fields and loses _unique_id and the context keys', () => {
    const u = unpackContext(capture('notify-v2-info'));
    expect(u.ctxt).toEqual(PY_CTXT);
    expect(Object.keys(u.message).sort()).toEqual([
      'event_type',
      'message_id',
      'payload',
      'priority',
      'publisher_id',
      'timestamp',
    ]);
    expect(u.uniqueId).toBe('3a7e1ee1050141d48e54afbcc7c0db6c');
  });

  it('reads the call-monitor timeout when it is a number', () => {
    expect(unpackContext({ _timeout: 30, method: 'm' }).clientTimeout).toBe(30);
    expect(unpackContext({ _timeout: '30', method: 'm' }).clientTimeout).toBeNull();
    expect(unpackContext({ method: 'm' }).clientTimeout).toBeNull();
  });
});

describe('packContext', () => {
  it('prefixes every context key with _context_, as the captured messages have them', () => {
    const raw = capture('rpc-call-request');
    const { ctxt, message } = unpackContext(raw);
    const repacked = packContext({ ...message }, ctxt);
    for (const [k, v] of Object.entries(raw)) if (k.startsWith('_context_')) expect(repacked[k]).toEqual(v);
    expect(repacked['method']).toBe('echo');
  });

  it('round-trips through unpackContext', () => {
    const ctxt = { user: 'u', roles: ['admin'], nested: { a: 1 }, none: null };
    const msg = packContext({ method: 'x', args: {} }, ctxt);
    expect(msg['_context_roles']).toEqual(['admin']);
    expect(unpackContext(msg)).toMatchObject({ ctxt, message: { method: 'x', args: {} } });
  });
});
