import { MalformedMessage } from '@oslo-messaging/core';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  encodeAck,
  encodeHeartbeat,
  encodeNack,
  encodeReply,
  encodeRequest,
  MessageType,
  PROTOCOL_VERSION,
} from './frames.js';

const buffers = (frames: string[]) => frames.map((f) => Buffer.from(f));

describe('zmq frames', () => {
  it('round-trips a call with its context and call-monitor timeout', () => {
    const frames = encodeRequest(
      MessageType.CALL,
      'm1',
      'compute',
      'host1',
      { user_id: 'u' },
      { method: 'boot', args: { n: 1 } },
      30,
    );
    expect(frames).toHaveLength(2);
    expect(frames[0]).toBe(`${PROTOCOL_VERSION} 1 m1`);
    expect(JSON.parse(frames[1]!)).toEqual({
      topic: 'compute',
      server: 'host1',
      request: { method: 'boot', args: { n: 1 } },
      context: { user_id: 'u' },
      call_monitor_timeout: 30,
    });
    expect(decodeRequest(buffers(frames))).toEqual({
      type: '1',
      msgId: 'm1',
      topic: 'compute',
      server: 'host1',
      context: { user_id: 'u' },
      request: { method: 'boot', args: { n: 1 } },
      callMonitorTimeout: 30,
    });
  });

  it('a notification needs no method; a cast has no call-monitor timeout', () => {
    expect(
      decodeRequest(
        buffers(encodeRequest(MessageType.NOTIFY, 'n1', 'notifications.info', 'pool', {}, { event_type: 'x' })),
      ).request,
    ).toEqual({ event_type: 'x' });
    expect(
      decodeRequest(buffers(encodeRequest(MessageType.CAST, 'c1', 't', '', {}, { method: 'm', args: {} })))
        .callMonitorTimeout,
    ).toBeNull();
  });

  it('round-trips replies, failures, acks, heartbeats and refusals', () => {
    expect(decodeResponse(buffers(encodeReply('m1', { result: [1, 'a'] })))).toEqual({
      type: '5',
      msgId: 'm1',
      result: [1, 'a'],
      failure: null,
    });
    expect(decodeResponse(buffers(encodeReply('m1', { result: undefined })))).toEqual({
      type: '5',
      msgId: 'm1',
      result: null,
      failure: null,
    });
    expect(decodeResponse(buffers(encodeReply('m1', { failure: '{"class": "ValueError"}' })))).toMatchObject({
      failure: '{"class": "ValueError"}',
    });
    expect(decodeResponse(buffers(encodeAck('m2')))).toEqual({ type: '6', msgId: 'm2' });
    expect(decodeResponse(buffers(encodeHeartbeat('m3')))).toEqual({ type: '7', msgId: 'm3' });
    expect(decodeResponse(buffers(encodeNack('m4', 'no endpoint')))).toEqual({
      type: '8',
      msgId: 'm4',
      reason: 'no endpoint',
    });
  });

  it.each([
    ['no frames', []],
    ['another version', ['oz/2 6 x']],
    ['an unknown type', [`${PROTOCOL_VERSION} z x`]],
    ['a header without message id', [`${PROTOCOL_VERSION} 6 `]],
    ['a header with extra fields', [`${PROTOCOL_VERSION} 6 x y`]],
    ['a reply without payload', [`${PROTOCOL_VERSION} 5 x`]],
    ['a reply with neither response nor failure', [`${PROTOCOL_VERSION} 5 x`, '{"other": 1}']],
  ])('rejects a response with %s as MalformedMessage', (_what, frames) => {
    expect(() => decodeResponse(buffers(frames))).toThrow(MalformedMessage);
  });

  it.each([
    ['a reply type', [`${PROTOCOL_VERSION} 5 x`, '{}']],
    [
      'a context that is a list',
      [`${PROTOCOL_VERSION} 2 x`, '{"topic": "t", "server": "", "request": {"method": "m"}, "context": []}'],
    ],
    ['no topic', [`${PROTOCOL_VERSION} 2 x`, '{"server": "", "request": {"method": "m"}, "context": {}}']],
    ['three frames', [`${PROTOCOL_VERSION} 2 x`, '{}', 'extra']],
  ])('rejects a request with %s as MalformedMessage', (_what, frames) => {
    expect(() => decodeRequest(buffers(frames))).toThrow(MalformedMessage);
  });
});
