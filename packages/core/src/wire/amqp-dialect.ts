/**
 * oslo.messaging's AMQP 0-9-1 dialect, as its rabbit (kombu) driver speaks it: where RPC requests and
 * notifications go (exchanges, routing keys, queue names) and what their bodies hold (the request or
 * notification, oslo's bookkeeping keys, the `_context_*` keys). The RabbitMQ driver and the
 * in-memory driver both speak it, so that what works on one works on the other; a driver for another
 * AMQP 0-9-1 broker can too. Bodies are returned as dicts: enveloping them (`serializeEnvelope`) and
 * encoding are the driver's.
 *
 * @packageDocumentation
 */
import type { Logger } from '../logger.js';
import type { Context, NotificationMessage, RemoteErrorCodec, Reply, RpcRequest } from '../spi/driver.js';
import type { ReplyRegistry } from '../spi/replies.js';
import type { Target } from '../target.js';
import { packContext } from './context.js';
import { deserializeEnvelope } from './envelope.js';

/** Names of oslo's queues and exchanges. An `id` is a uuid4 in hex (32 characters, no dashes). */
export const names = {
  /** The per-transport reply queue: `reply_<id>`. */
  replyQueue: (id: string): string => `reply_${id}`,
  /** The queue shared by every server of a topic: `<topic>`. */
  topicQueue: (topic: string): string => topic,
  /** One server's queue: `<topic>.<server>` (also its routing key). */
  serverQueue: (topic: string, server: string): string => `${topic}.${server}`,
  /** The fanout exchange of a topic: `<topic>_fanout`. */
  fanoutExchange: (topic: string): string => `${topic}_fanout`,
  /** One server's queue on the fanout exchange: `<topic>_fanout_<id>` (with upstream's queue manager, id is `<host>:<process>:<n>`). */
  fanoutQueue: (topic: string, id: string): string => `${topic}_fanout_${id}`,
  /** The one stream queue of a topic that every server reads (`rabbit_stream_fanout`): `<topic>_fanout`. */
  fanoutStream: (topic: string): string => `${topic}_fanout`,
  /** A notification's routing key, and the queue of a listener without a pool: `<topic>.<priority>`. */
  notificationRoutingKey: (topic: string, priority: string): string => `${topic}.${priority}`,
  /** The queue a notification listener consumes: the pool name when it has one (bound to every routing key). */
  notificationQueue: (routingKey: string, pool: string | undefined): string => pool ?? routingKey,
} as const;

/** Where an RPC request is published. */
export interface RpcRoute {
  /** The exchange: the target's, the control exchange, or the topic's fanout exchange. */
  readonly exchange: string;
  /** Its type. */
  readonly type: 'topic' | 'fanout';
  /** `<topic>`, `<topic>.<server>`, or empty for fanout. */
  readonly routingKey: string;
}

/** Where an RPC request for `target` is published (`defaultExchange`: the transport's control exchange). */
export function rpcRoute(target: Target, defaultExchange: string): RpcRoute {
  const topic = String(target.topic);
  if (target.fanout) return { exchange: names.fanoutExchange(topic), type: 'fanout', routingKey: '' };
  return {
    exchange: target.exchange ?? defaultExchange,
    type: 'topic',
    routingKey: target.server ? names.serverQueue(topic, target.server) : names.topicQueue(topic),
  };
}

/** The queue (or, for fanout, the exchange) an RPC request for `target` lands in: the driver's `destinationName`. */
export function rpcDestination(target: Target): string {
  const topic = String(target.topic);
  if (target.fanout) return names.fanoutExchange(topic);
  return target.server ? names.serverQueue(topic, target.server) : names.topicQueue(topic);
}

/** What a call adds to its request so that the server can answer (absent on casts). */
export interface ReplyAddress {
  /** `_msg_id`: the id the reply carries back. */
  readonly msgId: string;
  /** `_reply_q`: the caller's reply queue. */
  readonly replyQueue: string;
  /** `_timeout`: the call-monitor timeout in seconds, or null. */
  readonly callMonitorTimeout: number | null;
}

/**
 * The body of an RPC request, as oslo's `AMQPDriverBase._send` writes it: `method`, `args`,
 * `namespace`, `version`, then `_msg_id`, `_reply_q`, `_timeout` (calls only), `_unique_id`, then the
 * `_context_*` keys. Built key by key in that order (an object made by spreading takes V8's slow
 * `JSON.stringify` path).
 */
export function requestMessage(
  request: RpcRequest,
  ctxt: Context,
  uniqueId: string,
  replyTo?: ReplyAddress,
): Record<string, unknown> {
  const msg: Record<string, unknown> = { method: request.method, args: request.args };
  if (request.namespace !== undefined) msg['namespace'] = request.namespace;
  if (request.version !== undefined) msg['version'] = request.version;
  if (replyTo) {
    msg['_msg_id'] = replyTo.msgId;
    msg['_reply_q'] = replyTo.replyQueue;
    msg['_timeout'] = replyTo.callMonitorTimeout;
  }
  msg['_unique_id'] = uniqueId;
  return packContext(msg, ctxt);
}

/**
 * The body of a reply sent to a reply queue: `result`, `failure` (oslo's JSON string), `ending`,
 * `_msg_id`, `_unique_id`. `'heartbeat'` is a call-monitor heartbeat: an empty reply, not the last.
 */
export function replyMessage(
  reply: Reply | 'heartbeat',
  msgId: string,
  uniqueId: string,
  remoteErrors: RemoteErrorCodec,
): Record<string, unknown> {
  if (reply === 'heartbeat')
    return { result: null, failure: null, ending: false, _msg_id: msgId, _unique_id: uniqueId };
  if (reply.failure !== undefined)
    return {
      result: null,
      failure: remoteErrors.serialize(reply.failure),
      ending: true,
      _msg_id: msgId,
      _unique_id: uniqueId,
    };
  return { result: reply.result ?? null, failure: null, ending: true, _msg_id: msgId, _unique_id: uniqueId };
}

/**
 * The body of a notification: the notifier's message, `_unique_id`, then the `_context_*` keys
 * (enveloped for the `messagingv2` driver, bare JSON for `messaging`: the driver's choice by version).
 */
export function notificationMessage(
  message: NotificationMessage,
  ctxt: Context,
  uniqueId: string,
): Record<string, unknown> {
  return packContext({ ...message, _unique_id: uniqueId }, ctxt);
}

/**
 * Applies a decoded reply dict to the call waiting for it, with oslo's rules: a `failure` fails it,
 * an empty reply that is not the last (`ending` false) is a heartbeat, anything else is the result.
 */
export function applyReply(replies: ReplyRegistry, reply: Readonly<Record<string, unknown>>, logger: Logger): void {
  const msgId = reply['_msg_id'];
  if (typeof msgId !== 'string') {
    logger.warn('Dropping a reply without a message id');
    return;
  }
  if (reply['failure']) replies.fail(msgId, reply['failure']);
  else if (reply['result'] == null && !reply['ending']) replies.heartbeat(msgId);
  else replies.resolve(msgId, reply['result'] ?? null);
}

/** Decodes a reply body (oslo's envelope) and applies it; a malformed reply is logged and dropped. */
export function applyReplyBody(replies: ReplyRegistry, body: Uint8Array | string, logger: Logger): void {
  let reply: Record<string, unknown>;
  try {
    reply = deserializeEnvelope(body);
  } catch (err) {
    logger.warn('Dropping a malformed reply', { err });
    return;
  }
  applyReply(replies, reply, logger);
}
