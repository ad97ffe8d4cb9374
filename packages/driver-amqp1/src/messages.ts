import { MalformedMessage, type Context } from '@oslo-messaging/core';
import { deserializeEnvelope, parseJson, serializeEnvelope } from '@oslo-messaging/core/spi';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The amqp-value body of a request or notification: `{"request", "context"[, "call_monitor_timeout"]}` as a JSON string. */
export function requestBody(
  request: object,
  context: Context,
  options: { envelope?: boolean; callMonitorTimeout?: number | null | undefined } = {},
): string {
  const data: Record<string, unknown> = {
    request: options.envelope ? JSON.parse(serializeEnvelope(request as Readonly<Record<string, unknown>>)) : request,
    context,
  };
  if (options.callMonitorTimeout != null) data['call_monitor_timeout'] = options.callMonitorTimeout;
  return JSON.stringify(data);
}

/** A decoded request: the message (envelope unwrapped), its context and the caller's call-monitor timeout. */
export interface DecodedRequest {
  readonly message: Record<string, unknown>;
  readonly context: Context;
  readonly callMonitorTimeout: number | null;
}

/** The JSON text of a body, as oslo sends it (an amqp-value string) or as raw data. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (isObject(body) && Buffer.isBuffer(body['content'])) return body['content'].toString('utf8');
  throw new MalformedMessage(
    `AMQP 1.0 message body is not a JSON string (got ${body === undefined ? 'no body' : typeof body})`,
  );
}

/** oslo's `unmarshal_request`; throws `MalformedMessage`. */
export function decodeRequest(body: unknown): DecodedRequest {
  const data = parseJson(bodyText(body));
  if (!isObject(data)) throw new MalformedMessage('AMQP 1.0 request body is not a JSON object');
  const request = data['request'];
  if (!isObject(request)) throw new MalformedMessage('AMQP 1.0 request body has no "request" object');
  // Only an enveloped request (v2 notifications) is decoded again; a plain one is used as parsed (no
  // re-encoding per message, and non-finite numbers, which JSON.stringify turns into null, survive).
  const message =
    'oslo.version' in request && 'oslo.message' in request ? deserializeEnvelope(JSON.stringify(request)) : request;
  const context = data['context'] ?? {};
  if (!isObject(context)) throw new MalformedMessage('AMQP 1.0 request context is not an object');
  const cmt = data['call_monitor_timeout'];
  return { message, context, callMonitorTimeout: typeof cmt === 'number' && Number.isFinite(cmt) ? cmt : null };
}

/** oslo's `marshal_response`: `{"response": result}` or `{"failure": "<serialized exception>"}`. */
export function replyBody(reply: { result: unknown } | { failure: string }): string {
  return JSON.stringify('failure' in reply ? { failure: reply.failure } : { response: reply.result ?? null });
}

/** A reply, or a heartbeat (a message without body). Throws `MalformedMessage`. */
export function decodeReply(
  body: unknown,
): { heartbeat: true } | { heartbeat: false; result: unknown; failure: unknown } {
  if (body === undefined || body === null) return { heartbeat: true };
  const data = parseJson(bodyText(body));
  if (!isObject(data)) throw new MalformedMessage('AMQP 1.0 reply body is not a JSON object');
  return { heartbeat: false, result: data['response'] ?? null, failure: data['failure'] ?? null };
}
