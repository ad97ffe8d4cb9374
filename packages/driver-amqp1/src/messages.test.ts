import { MalformedMessage } from '@oslo-messaging/core';
import { describe, expect, it } from 'vitest';
import { decodeReply, decodeRequest, replyBody, requestBody } from './messages.js';

describe('AMQP 1.0 message bodies (oslo marshal_request / marshal_response)', () => {
  it('a request is {"request", "context"[, "call_monitor_timeout"]} as a JSON string, not enveloped', () => {
    const body = requestBody({ method: 'boot', args: { n: 1 } }, { user_id: 'u' }, { callMonitorTimeout: 30 });
    expect(JSON.parse(body)).toEqual({
      request: { method: 'boot', args: { n: 1 } },
      context: { user_id: 'u' },
      call_monitor_timeout: 30,
    });
    expect(decodeRequest(body)).toEqual({
      message: { method: 'boot', args: { n: 1 } },
      context: { user_id: 'u' },
      callMonitorTimeout: 30,
    });
  });

  it('a v2 notification puts the oslo envelope inside "request"; decoding unwraps it', () => {
    const body = requestBody({ event_type: 'x', payload: { a: 1 } }, {}, { envelope: true });
    const parsed = JSON.parse(body) as { request: Record<string, string> };
    expect(parsed.request['oslo.version']).toBe('2.0');
    expect(JSON.parse(parsed.request['oslo.message']!)).toEqual({ event_type: 'x', payload: { a: 1 } });
    expect(decodeRequest(body).message).toEqual({ event_type: 'x', payload: { a: 1 } });
  });

  it('a plain request is used as parsed: non-finite numbers (Python json writes Infinity, NaN) survive', () => {
    const decoded = decodeRequest(
      '{"request": {"method": "m", "args": {"x": Infinity, "y": -Infinity, "z": [1, {"w": "s"}]}}, "context": {}}',
    );
    expect(decoded.message).toEqual({ method: 'm', args: { x: Infinity, y: -Infinity, z: [1, { w: 's' }] } });
    expect(() => decodeRequest('{"request": {"oslo.version": "3.0", "oslo.message": "{}"}, "context": {}}')).toThrow(
      /envelope version/,
    );
  });

  it('replies: response, failure, and a body-less heartbeat', () => {
    expect(decodeReply(replyBody({ result: [1] }))).toEqual({ heartbeat: false, result: [1], failure: null });
    expect(JSON.parse(replyBody({ failure: '{"class": "ValueError"}' }))).toEqual({
      failure: '{"class": "ValueError"}',
    });
    expect(decodeReply(null)).toEqual({ heartbeat: true });
    expect(decodeReply(undefined)).toEqual({ heartbeat: true });
  });

  it.each([
    ['not JSON', 'nope'],
    ['no request', '{"context": {}}'],
    ['a list context', '{"request": {}, "context": []}'],
    ['a number body', 42],
  ])('rejects a request with %s as MalformedMessage', (_what, body) => {
    expect(() => decodeRequest(body)).toThrow(MalformedMessage);
  });
});
