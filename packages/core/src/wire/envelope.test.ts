import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedMessage, UnsupportedEnvelopeVersion } from '../errors.js';
import { deserializeEnvelope, ENVELOPE_VERSION, serializeEnvelope } from './envelope.js';

interface Capture {
  scenario: string;
  body_raw: string;
  body_decoded_for_reading: Record<string, unknown>;
}
const CAPTURES = JSON.parse(
  readFileSync(new URL('../../../../test-fixtures/oslo-wire/rabbit-messages.json', import.meta.url), 'utf8'),
) as Capture[];

describe('deserializeEnvelope on messages captured from Python oslo.messaging 14', () => {
  it('has captures to read', () => expect(CAPTURES.length).toBeGreaterThanOrEqual(14));

  it.each(CAPTURES.filter((c) => 'oslo.version' in c.body_decoded_for_reading))('$scenario', (c) => {
    const msg = deserializeEnvelope(Buffer.from(c.body_raw, 'utf8'));
    // the readable copy also decodes the failure string, as "failure(decoded)"
    const readable = { ...(c.body_decoded_for_reading['oslo.message(decoded)'] as Record<string, unknown>) };
    if ('failure(decoded)' in readable) {
      expect(JSON.parse(msg['failure'] as string)).toEqual(readable['failure(decoded)']);
      delete readable['failure(decoded)'];
    }
    expect(msg).toEqual(readable);
  });

  it.each(CAPTURES.filter((c) => !('oslo.version' in c.body_decoded_for_reading)))(
    '$scenario (no envelope, as oslo v1 notifications)',
    (c) => {
      const msg = deserializeEnvelope(c.body_raw);
      expect(msg).toEqual(c.body_decoded_for_reading);
      expect(msg['priority']).toBe('WARN');
    },
  );
});

describe('serializeEnvelope', () => {
  const message = {
    method: 'echo',
    args: { payload: { a: 1, b: [1, 2, 'x'], s: 'é "q"' } },
    version: '1.0',
    _msg_id: 'm1',
    _context_user_id: 'u1',
  };

  it('writes oslo 2.0 envelopes that round-trip', () => {
    const body = serializeEnvelope(message);
    const outer = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(outer)).toEqual(['oslo.version', 'oslo.message']);
    expect(outer['oslo.version']).toBe('2.0');
    expect(typeof outer['oslo.message']).toBe('string');
    expect(deserializeEnvelope(body)).toEqual(message);
    expect(ENVELOPE_VERSION).toBe('2.0');
  });

  it('is read back by Python oslo.messaging deserialize_msg', () => {
    const script =
      'import sys, json; from oslo_messaging._drivers import common; print(json.dumps(common.deserialize_msg(json.loads(sys.stdin.read()))))';
    const out = execFileSync('/usr/bin/python3', ['-c', script], {
      input: serializeEnvelope(message),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(message);
  });
});

describe('deserializeEnvelope errors', () => {
  it('refuses envelope versions this side does not speak', () => {
    for (const v of ['3.0', '2.1', '1.0', 'x', 2]) {
      const body = JSON.stringify({ 'oslo.version': v, 'oslo.message': '{}' });
      expect(() => deserializeEnvelope(body)).toThrow(UnsupportedEnvelopeVersion);
    }
    expect(() => deserializeEnvelope(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' }))).toThrow(
      'Unsupported oslo envelope version "3.0" (supported: 2.0)',
    );
  });

  it('accepts 2.0 with a revision', () => {
    expect(deserializeEnvelope(JSON.stringify({ 'oslo.version': '2.0.0', 'oslo.message': '{"a":1}' }))).toEqual({
      a: 1,
    });
  });

  it('throws MalformedMessage for bodies that are not JSON objects', () => {
    expect(() => deserializeEnvelope('not json')).toThrow(MalformedMessage);
    expect(() => deserializeEnvelope('[1, 2]')).toThrow('Message body is not a JSON object');
    expect(() => deserializeEnvelope('null')).toThrow(MalformedMessage);
    expect(() => deserializeEnvelope(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': 5 }))).toThrow(
      '"oslo.message" must be a JSON string',
    );
    expect(() => deserializeEnvelope(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '[1]' }))).toThrow(
      '"oslo.message" is not a JSON object',
    );
    expect(() => deserializeEnvelope(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{bad' }))).toThrow(
      MalformedMessage,
    );
  });

  it('keeps Python NaN inside the inner message', () => {
    const msg = deserializeEnvelope('{"oslo.version": "2.0", "oslo.message": "{\\"result\\": NaN}"}');
    expect(msg['result']).toBeNaN();
  });
});
