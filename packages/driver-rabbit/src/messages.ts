import { randomFillSync } from 'node:crypto';
import { packContext, serializeEnvelope, type Context, type NotificationMessage, type RemoteErrorCodec, type Reply, type RpcRequest } from '@oslo-messaging/core';

/** What a call adds to its request so the server can answer (absent on casts). */
export interface ReplyAddress {
  /** `_msg_id`: the id the reply carries back. */
  readonly msgId: string;
  /** `_reply_q`: the caller's reply queue. */
  readonly replyQueue: string;
  /** `_timeout`: the call-monitor timeout in seconds, or null. */
  readonly callMonitorTimeout: number | null;
}

/**
 * The body of an RPC request, as oslo 14's `AMQPDriverBase._send` writes it: the request, then
 * `_msg_id`, `_reply_q`, `_timeout` (calls only), `_unique_id`, then the `_context_*` keys, in a 2.0 envelope.
 */
export function requestBody(request: RpcRequest, ctxt: Context, uniqueId: string, replyTo?: ReplyAddress): Buffer {
  const msg: Record<string, unknown> = { ...request };
  if (replyTo) {
    msg['_msg_id'] = replyTo.msgId;
    msg['_reply_q'] = replyTo.replyQueue;
    msg['_timeout'] = replyTo.callMonitorTimeout;
  }
  msg['_unique_id'] = uniqueId;
  return Buffer.from(serializeEnvelope(packContext(msg, ctxt)));
}

/** The reply fields of a final answer: `{result, failure, ending: true}` (failure as oslo's JSON string). */
export function replyFields(reply: Reply, remoteErrors: RemoteErrorCodec): Record<string, unknown> {
  return reply.failure !== undefined
    ? { result: null, failure: remoteErrors.serialize(reply.failure), ending: true }
    : { result: reply.result ?? null, failure: null, ending: true };
}

/** The reply fields of a call-monitor heartbeat: `{result: null, failure: null, ending: false}`. */
export const HEARTBEAT_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({ result: null, failure: null, ending: false });

/** The body of a reply sent to a reply queue: the fields, then `_msg_id` and `_unique_id`, enveloped. */
export function replyBody(fields: Readonly<Record<string, unknown>>, msgId: string, uniqueId: string): Buffer {
  return Buffer.from(serializeEnvelope({ ...fields, _msg_id: msgId, _unique_id: uniqueId }));
}

/**
 * The body of a notification: the message, `_unique_id`, then the `_context_*` keys; enveloped for
 * the `messagingv2` driver, bare JSON for `messaging` (v1).
 */
export function notificationBody(message: NotificationMessage, ctxt: Context, uniqueId: string, version: 1 | 2): Buffer {
  const msg = packContext({ ...message, _unique_id: uniqueId }, ctxt);
  return Buffer.from(version === 2 ? serializeEnvelope(msg) : JSON.stringify(msg));
}

// Random bytes for ids, refilled 512 ids at a time.
const POOL = Buffer.allocUnsafe(16 * 512);
let poolOffset = POOL.length;

/**
 * A uuid4 in hex, as Python's `uuid.uuid4().hex` (32 characters, version 4, RFC 4122 variant): oslo's
 * message ids, unique ids and reply/fanout queue suffixes. From a pool of random bytes: three per call,
 * and `randomUUID().replaceAll('-', '')` cost 0.7 µs each.
 */
export function uuid4Hex(): string {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 16;
  POOL[o + 6] = (POOL[o + 6]! & 0x0f) | 0x40;
  POOL[o + 8] = (POOL[o + 8]! & 0x3f) | 0x80;
  return POOL.toString('hex', o, o + 16);
}
