import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { Target } from '../target.js';
import { names, replyMessage, requestMessage, rpcDestination, rpcRoute, applyReply } from './amqp-dialect.js';
import { createRemoteErrorCodec } from './failure.js';
import { ReplyWaiters } from './reply-waiters.js';

const id = '8a4f128be49e4e4c962308b9722ed46f';

describe('oslo AMQP 0-9-1 names (oslo 14)', () => {
  it('names queues and exchanges as impl_rabbit does', () => {
    expect(names.replyQueue(id)).toBe(`reply_${id}`);
    expect(names.topicQueue('compute')).toBe('compute');
    expect(names.serverQueue('compute', 'host1')).toBe('compute.host1');
    expect(names.fanoutExchange('compute')).toBe('compute_fanout');
    expect(names.fanoutQueue('compute', id)).toBe(`compute_fanout_${id}`);
    expect(names.notificationRoutingKey('notifications', 'info')).toBe('notifications.info');
    expect(names.notificationQueue('notifications.info', undefined)).toBe('notifications.info');
    expect(names.notificationQueue('notifications.info', 'ceilometer')).toBe('ceilometer');
  });

  it('routes calls and casts to the control exchange, a server or the fanout exchange', () => {
    expect(rpcRoute(new Target({ topic: 't' }), 'nova')).toEqual({ exchange: 'nova', type: 'topic', routingKey: 't' });
    expect(rpcRoute(new Target({ topic: 't', exchange: 'cinder' }), 'nova')).toEqual({
      exchange: 'cinder',
      type: 'topic',
      routingKey: 't',
    });
    expect(rpcRoute(new Target({ topic: 't', server: 's1' }), 'nova')).toEqual({
      exchange: 'nova',
      type: 'topic',
      routingKey: 't.s1',
    });
    expect(rpcRoute(new Target({ topic: 't', fanout: true }), 'nova')).toEqual({
      exchange: 't_fanout',
      type: 'fanout',
      routingKey: '',
    });
  });
});

describe('oslo AMQP 0-9-1 message shapes', () => {
  it('writes a call as oslo does: request keys, then _msg_id, _reply_q, _timeout, _unique_id, then the context', () => {
    const msg = requestMessage({ method: 'm', args: { a: 1 }, version: '1.2' }, { user: 'u' }, 'uid', {
      msgId: 'mid',
      replyQueue: 'reply_x',
      callMonitorTimeout: null,
    });
    expect(Object.keys(msg)).toEqual([
      'method',
      'args',
      'version',
      '_msg_id',
      '_reply_q',
      '_timeout',
      '_unique_id',
      '_context_user',
    ]);
    expect(Object.keys(requestMessage({ method: 'm', args: {} }, {}, 'uid'))).toEqual(['method', 'args', '_unique_id']);
  });

  it('names the destination of a request: its queue, or the fanout exchange', () => {
    expect(rpcDestination(new Target({ topic: 't' }))).toBe('t');
    expect(rpcDestination(new Target({ topic: 't', server: 's' }))).toBe('t.s');
    expect(rpcDestination(new Target({ topic: 't', fanout: true }))).toBe('t_fanout');
  });

  it('applies replies with oslo rules: failure, heartbeat (empty and not last), result', async () => {
    const replies = new ReplyWaiters(silentLogger, createRemoteErrorCodec([]));
    const codec = createRemoteErrorCodec([]);
    const call = replies.wait('a', { timeout: 5 });
    applyReply(replies, replyMessage('heartbeat', 'a', 'u1', codec), silentLogger);
    expect(replies.has('a')).toBe(true);
    applyReply(replies, replyMessage({ result: 7 }, 'a', 'u2', codec), silentLogger);
    expect(await call).toBe(7);
    const failing = replies.wait('b', { timeout: 5 });
    class Quota extends Error {}
    applyReply(replies, replyMessage({ failure: new Quota('over') }, 'b', 'u3', codec), silentLogger);
    await expect(failing).rejects.toThrow('over');
  });
});
