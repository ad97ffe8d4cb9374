import { MalformedMessage, parseJson, type Context } from '@oslo-messaging/core';

/** The protocol version, the first frame of every message. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 'oz/1';

/** Message types (the second frame), as ASCII digits like oslo's ZeroMQ driver. */
export const MessageType = {
  CALL: '1',
  CAST: '2',
  CAST_FANOUT: '3',
  NOTIFY: '4',
  REPLY: '5',
  ACK: '6',
  HEARTBEAT: '7',
  NACK: '8',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The `server` frame value of a notification that every listener pool of the receiving process should get. */
export const EVERY_POOL = '*';

export type RequestType = typeof MessageType.CALL | typeof MessageType.CAST | typeof MessageType.CAST_FANOUT | typeof MessageType.NOTIFY;

/** A decoded client → server message. */
export interface RequestFrames {
  readonly type: RequestType;
  readonly msgId: string;
  readonly topic: string;
  /** The server name (RPC) or pool (notifications); empty when none. */
  readonly server: string;
  readonly context: Context;
  /** The RPC request (`method`, `args`, ...) or the notification. */
  readonly request: Record<string, unknown>;
  readonly callMonitorTimeout: number | null;
}

/** A decoded server → client message. */
export type ResponseFrames =
  | { readonly type: typeof MessageType.REPLY; readonly msgId: string; readonly result: unknown; readonly failure: unknown }
  | { readonly type: typeof MessageType.ACK | typeof MessageType.HEARTBEAT; readonly msgId: string }
  | { readonly type: typeof MessageType.NACK; readonly msgId: string; readonly reason: string };

const REQUEST_TYPES = new Set<string>([MessageType.CALL, MessageType.CAST, MessageType.CAST_FANOUT, MessageType.NOTIFY]);

/** Encodes a request: `version, type, msg_id, topic, server, payload`. */
export function encodeRequest(type: RequestType, msgId: string, topic: string, server: string, context: Context, request: unknown, callMonitorTimeout?: number | null): string[] {
  const body: Record<string, unknown> = { request, context };
  if (callMonitorTimeout != null) body['call_monitor_timeout'] = callMonitorTimeout;
  return [PROTOCOL_VERSION, type, msgId, topic, server, JSON.stringify(body)];
}

export const encodeReply = (msgId: string, reply: { result: unknown } | { failure: string }): string[] => [PROTOCOL_VERSION, MessageType.REPLY, msgId, JSON.stringify('failure' in reply ? { failure: reply.failure } : { response: reply.result ?? null })];
export const encodeAck = (msgId: string): string[] => [PROTOCOL_VERSION, MessageType.ACK, msgId];
export const encodeHeartbeat = (msgId: string): string[] => [PROTOCOL_VERSION, MessageType.HEARTBEAT, msgId];
export const encodeNack = (msgId: string, reason: string): string[] => [PROTOCOL_VERSION, MessageType.NACK, msgId, reason];

const text = (frame: Buffer | undefined, what: string): string => {
  if (frame === undefined) throw new MalformedMessage(`ZeroMQ message has no ${what} frame`);
  return frame.toString('utf8');
};

function checkVersion(frames: readonly Buffer[]): void {
  const version = text(frames[0], 'version');
  if (version !== PROTOCOL_VERSION) throw new MalformedMessage(`Unsupported ZeroMQ protocol version ${JSON.stringify(version.slice(0, 32))} (expected ${PROTOCOL_VERSION})`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes the frames a server receives (after the ROUTER's identity frame). Throws `MalformedMessage`. */
export function decodeRequest(frames: readonly Buffer[]): RequestFrames {
  checkVersion(frames);
  if (frames.length !== 6) throw new MalformedMessage(`ZeroMQ request has ${frames.length} frames, expected 6`);
  const type = text(frames[1], 'type');
  if (!REQUEST_TYPES.has(type)) throw new MalformedMessage(`Unknown ZeroMQ request type ${JSON.stringify(type.slice(0, 8))}`);
  const msgId = text(frames[2], 'message id');
  if (msgId === '') throw new MalformedMessage('ZeroMQ request has an empty message id');
  const body = parseJson(text(frames[5], 'payload'));
  if (!isObject(body) || !isObject(body['request']) || !isObject(body['context'])) throw new MalformedMessage('ZeroMQ request payload must be {"request": {...}, "context": {...}}');
  if (type !== MessageType.NOTIFY && typeof body['request']['method'] !== 'string') throw new MalformedMessage('ZeroMQ RPC request has no method');
  const cmt = body['call_monitor_timeout'];
  return {
    type: type as RequestType,
    msgId,
    topic: text(frames[3], 'topic'),
    server: text(frames[4], 'server'),
    context: body['context'],
    request: body['request'],
    callMonitorTimeout: typeof cmt === 'number' && Number.isFinite(cmt) ? cmt : null,
  };
}

/** Decodes the frames a client's DEALER receives. Throws `MalformedMessage`. */
export function decodeResponse(frames: readonly Buffer[]): ResponseFrames {
  checkVersion(frames);
  const type = text(frames[1], 'type');
  const msgId = text(frames[2], 'message id');
  switch (type) {
    case MessageType.ACK:
    case MessageType.HEARTBEAT:
      return { type, msgId };
    case MessageType.NACK:
      return { type, msgId, reason: frames[3]?.toString('utf8') ?? '' };
    case MessageType.REPLY: {
      const body = parseJson(text(frames[3], 'payload'));
      if (!isObject(body) || (!('response' in body) && !('failure' in body))) throw new MalformedMessage('ZeroMQ reply payload must be {"response": ...} or {"failure": ...}');
      return { type, msgId, result: body['response'] ?? null, failure: body['failure'] ?? null };
    }
    default:
      throw new MalformedMessage(`Unknown ZeroMQ response type ${JSON.stringify(type.slice(0, 8))}`);
  }
}
