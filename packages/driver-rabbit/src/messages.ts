import type { Context } from '@oslo-messaging/core';
import {
  amqpDialect,
  serializeEnvelope,
  type NotificationMessage,
  type RemoteErrorCodec,
  type Reply,
  type ReplyAddress,
  type RpcRequest,
} from '@oslo-messaging/core/spi';

// oslo's AMQP 0-9-1 message shapes live in core (`amqpDialect`, shared with the in-memory driver);
// this module only puts them in RabbitMQ message bodies.

/** The body of an RPC request (oslo's dict in a 2.0 envelope). */
export function requestBody(request: RpcRequest, ctxt: Context, uniqueId: string, replyTo?: ReplyAddress): Buffer {
  return Buffer.from(serializeEnvelope(amqpDialect.requestMessage(request, ctxt, uniqueId, replyTo)));
}

/** The body of a reply (or call-monitor heartbeat) sent to a reply queue, enveloped. */
export function replyBody(
  reply: Reply | 'heartbeat',
  msgId: string,
  uniqueId: string,
  remoteErrors: RemoteErrorCodec,
): Buffer {
  return Buffer.from(serializeEnvelope(amqpDialect.replyMessage(reply, msgId, uniqueId, remoteErrors)));
}

/** The body of a notification: enveloped for the `messagingv2` driver, bare JSON for `messaging` (v1). */
export function notificationBody(
  message: NotificationMessage,
  ctxt: Context,
  uniqueId: string,
  version: 1 | 2,
): Buffer {
  const msg = amqpDialect.notificationMessage(message, ctxt, uniqueId);
  return Buffer.from(version === 2 ? serializeEnvelope(msg) : JSON.stringify(msg));
}
