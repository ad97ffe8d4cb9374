// The bodies and AMQP properties this driver builds, compared with messages captured from Python
// oslo.messaging 14 (test-fixtures/oslo-wire/rabbit-messages.json): same ids and context in, the
// same decoded message out, keys in the same order. No broker needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Target, PythonErrors } from '@oslo-messaging/core';
import {
  amqpDialect,
  createRemoteErrorCodec,
  type NotificationMessage,
  type RpcRequest,
} from '@oslo-messaging/core/spi';
import { notificationBody, replyBody, requestBody } from './messages.js';
import { publishProperties } from './topology.js';

const { rpcRoute } = amqpDialect;

interface Capture {
  readonly scenario: string;
  readonly exchange: string;
  readonly routing_key: string;
  readonly properties: Record<string, unknown>;
  readonly body_raw: string;
}
const captures: Capture[] = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/oslo-wire/rabbit-messages.json', import.meta.url), 'utf8'),
);
function capture(scenario: string): Capture {
  const c = captures.find((x) => x.scenario === scenario);
  if (!c) throw new Error(`no capture named ${scenario}`);
  return c;
}
function decode(raw: string | Buffer): { version: unknown; inner: Record<string, unknown> } {
  const outer = JSON.parse(raw.toString()) as Record<string, unknown>;
  if ('oslo.message' in outer) {
    expect(Object.keys(outer)).toEqual(['oslo.version', 'oslo.message']);
    return {
      version: outer['oslo.version'],
      inner: JSON.parse(outer['oslo.message'] as string) as Record<string, unknown>,
    };
  }
  return { version: undefined, inner: outer };
}
/** Asserts equal values AND equal key order (Python peers do not care, but a diff should not either). */
function expectSameMessage(ours: Buffer, theirs: string): void {
  const a = decode(ours);
  const b = decode(theirs);
  expect(a.version).toEqual(b.version);
  expect(a.inner).toEqual(b.inner);
  expect(Object.keys(a.inner)).toEqual(Object.keys(b.inner));
}
/** The AMQP properties as the capture spells them. */
function amqpProperties(p: ReturnType<typeof publishProperties>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      content_type: p.contentType,
      content_encoding: p.contentEncoding,
      delivery_mode: p.deliveryMode,
      priority: p.priority,
      headers: p.headers,
      expiration: p.expiration,
    }).filter(([, v]) => v !== undefined),
  );
}

const ctxt = { user_id: 'u1', project_id: 'p1', request_id: 'req-123', is_admin: false };
const inner = (scenario: string) => decode(capture(scenario).body_raw).inner;

describe('RPC requests', () => {
  for (const scenario of [
    'rpc-call-request',
    'rpc-call-request-fail',
    'rpc-call-request-nosuchmethod',
    'rpc-call-request-version2',
  ]) {
    it(`${scenario}: body and properties as Python's`, () => {
      const py = inner(scenario);
      const request = { method: py['method'], args: py['args'], version: py['version'] } as RpcRequest;
      const body = requestBody(request, ctxt, py['_unique_id'] as string, {
        msgId: py['_msg_id'] as string,
        replyQueue: py['_reply_q'] as string,
        callMonitorTimeout: null,
      });
      expectSameMessage(body, capture(scenario).body_raw);
      expect(amqpProperties(publishProperties(String(10 * 1000)))).toEqual(capture(scenario).properties);
    });
  }

  it('a call with a call-monitor timeout carries it as _timeout', () => {
    const body = requestBody({ method: 'm', args: {} }, {}, 'u', {
      msgId: 'i',
      replyQueue: 'reply_x',
      callMonitorTimeout: 5,
    });
    expect(decode(body).inner['_timeout']).toBe(5);
  });

  for (const [scenario, target] of [
    ['rpc-cast-topic', new Target({ topic: 'bench' })],
    ['rpc-cast-server', new Target({ topic: 'bench', server: 'py-server' })],
    ['rpc-cast-fanout', new Target({ topic: 'bench', fanout: true })],
  ] as const) {
    it(`${scenario}: route, body and properties as Python's (no _msg_id, _reply_q, _timeout, expiration)`, () => {
      const c = capture(scenario);
      const py = inner(scenario);
      const body = requestBody(
        { method: py['method'], args: py['args'], version: py['version'] } as RpcRequest,
        ctxt,
        py['_unique_id'] as string,
      );
      expectSameMessage(body, c.body_raw);
      expect(amqpProperties(publishProperties())).toEqual(c.properties);
      const route = rpcRoute(target, 'openstack');
      expect([route.exchange, route.routingKey]).toEqual([c.exchange, c.routing_key]);
      expect(route.type).toBe(target.fanout ? 'fanout' : 'topic');
    });
  }
});

describe('RPC replies', () => {
  it('a result: {result, failure: null, ending: true, _msg_id, _unique_id} to the default exchange', () => {
    const c = capture('rpc-call-reply');
    const py = inner('rpc-call-reply');
    const body = replyBody(
      { result: py['result'] },
      py['_msg_id'] as string,
      py['_unique_id'] as string,
      createRemoteErrorCodec([]),
    );
    expectSameMessage(body, c.body_raw);
    expect(c.exchange).toBe('');
    expect(amqpProperties(publishProperties())).toEqual(c.properties);
  });

  it('a missing result is sent as null', () => {
    // @ts-expect-error Reply requires `result`: a reply object without it must still encode as null
    expect(amqpDialect.replyMessage({}, 'm1', 'u1', createRemoteErrorCodec([]))).toEqual({
      result: null,
      failure: null,
      ending: true,
      _msg_id: 'm1',
      _unique_id: 'u1',
    });
  });

  it('a failure: the failure is a JSON string with the keys Python writes, in its order', () => {
    const py = inner('rpc-reply-failure-builtin');
    const body = replyBody(
      { failure: new PythonErrors.ValueError('bad value from python') },
      py['_msg_id'] as string,
      py['_unique_id'] as string,
      createRemoteErrorCodec([]),
    );
    const ours = decode(body).inner;
    expect(Object.keys(ours)).toEqual(Object.keys(py));
    expect(ours['result']).toBeNull();
    expect(ours['ending']).toBe(true);
    expect(typeof ours['failure']).toBe('string');
    const ourFailure = JSON.parse(ours['failure'] as string) as Record<string, unknown>;
    const pyFailure = JSON.parse(py['failure'] as string) as Record<string, unknown>;
    expect(Object.keys(ourFailure)).toEqual(Object.keys(pyFailure));
    expect({
      class: ourFailure['class'],
      module: ourFailure['module'],
      message: ourFailure['message'],
      args: ourFailure['args'],
      kwargs: ourFailure['kwargs'],
    }).toEqual({
      class: pyFailure['class'],
      module: pyFailure['module'],
      message: pyFailure['message'],
      args: pyFailure['args'],
      kwargs: pyFailure['kwargs'],
    });
  });

  it('a heartbeat: {result: null, failure: null, ending: false}', () => {
    const ours = decode(replyBody('heartbeat', 'm1', 'u1', createRemoteErrorCodec([]))).inner;
    expect(ours).toEqual({ result: null, failure: null, ending: false, _msg_id: 'm1', _unique_id: 'u1' });
  });
});

describe('notifications', () => {
  for (const [scenario, version] of [
    ['notify-v2-info', 2],
    ['notify-v2-error', 2],
    ['notify-v1-warn', 1],
  ] as const) {
    it(`${scenario}: body and properties as Python's`, () => {
      const c = capture(scenario);
      const py = inner(scenario);
      const message = {
        message_id: py['message_id'],
        publisher_id: py['publisher_id'],
        event_type: py['event_type'],
        priority: py['priority'],
        payload: py['payload'],
        timestamp: py['timestamp'],
      } as NotificationMessage;
      const body = notificationBody(message, ctxt, py['_unique_id'] as string, version);
      expectSameMessage(body, c.body_raw);
      expect(amqpProperties(publishProperties())).toEqual(c.properties);
    });
  }
});
