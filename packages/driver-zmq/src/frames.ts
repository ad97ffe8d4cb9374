import { MalformedMessage, type Context } from '@oslo-messaging/core';
import { parseJson } from '@oslo-messaging/core/spi';

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

export type RequestType =
  typeof MessageType.CALL | typeof MessageType.CAST | typeof MessageType.CAST_FANOUT | typeof MessageType.NOTIFY;

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
  | {
      readonly type: typeof MessageType.REPLY;
      readonly msgId: string;
      readonly result: unknown;
      readonly failure: unknown;
    }
  | { readonly type: typeof MessageType.ACK | typeof MessageType.HEARTBEAT; readonly msgId: string }
  | { readonly type: typeof MessageType.NACK; readonly msgId: string; readonly reason: string };

const REQUEST_TYPES = new Set<string>([
  MessageType.CALL,
  MessageType.CAST,
  MessageType.CAST_FANOUT,
  MessageType.NOTIFY,
]);

/** The header frame: `<version> <type> <message id>` (ASCII, single spaces). */
const header = (type: MessageType, msgId: string): string => `${PROTOCOL_VERSION} ${type} ${msgId}`;

/** Encodes a request: a header frame and a JSON payload frame (two frames: zeromq.js pays per frame). */
export function encodeRequest(
  type: RequestType,
  msgId: string,
  topic: string,
  server: string,
  context: Context,
  request: unknown,
  callMonitorTimeout?: number | null,
): string[] {
  const body: Record<string, unknown> = { topic, server, request, context };
  if (callMonitorTimeout != null) body['call_monitor_timeout'] = callMonitorTimeout;
  return [header(type, msgId), JSON.stringify(body)];
}

export const encodeReply = (msgId: string, reply: { result: unknown } | { failure: string }): string[] => [
  header(MessageType.REPLY, msgId),
  JSON.stringify('failure' in reply ? { failure: reply.failure } : { response: reply.result ?? null }),
];
export const encodeAck = (msgId: string): string[] => [header(MessageType.ACK, msgId)];
export const encodeHeartbeat = (msgId: string): string[] => [header(MessageType.HEARTBEAT, msgId)];
export const encodeNack = (msgId: string, reason: string): string[] => [header(MessageType.NACK, msgId), reason];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const VERSION_PREFIX = Buffer.from(`${PROTOCOL_VERSION} `, 'latin1');
const SPACE = 0x20;

/** Splits and checks the header frame; throws `MalformedMessage`. */
export function decodeHeader(frame: Buffer | undefined): { type: string; msgId: string } {
  if (frame === undefined) throw new MalformedMessage('ZeroMQ message has no header frame');
  // Every header this driver writes: `oz/1 <one digit> <id without spaces>`, read without splitting.
  const p = VERSION_PREFIX.length;
  if (
    frame.length > p + 2 &&
    frame[p + 1] === SPACE &&
    frame[p] !== SPACE &&
    frame.compare(VERSION_PREFIX, 0, p, 0, p) === 0 &&
    frame.indexOf(SPACE, p + 2) < 0
  ) {
    return { type: String.fromCharCode(frame[p]!), msgId: frame.toString('latin1', p + 2) };
  }
  const parts = frame.toString('latin1').split(' ');
  if (parts[0] !== PROTOCOL_VERSION)
    throw new MalformedMessage(
      `Unsupported ZeroMQ protocol version ${JSON.stringify(String(parts[0]).slice(0, 32))} (expected ${PROTOCOL_VERSION})`,
    );
  if (parts.length !== 3 || parts[2] === '')
    throw new MalformedMessage('ZeroMQ header must be "<version> <type> <message id>"');
  return { type: parts[1]!, msgId: parts[2]! };
}

/** The message id of a frame set, when its header is readable (to refuse a malformed message). */
export function peekMessageId(frames: readonly Buffer[]): string | undefined {
  try {
    return decodeHeader(frames[0]).msgId;
  } catch {
    return undefined;
  }
}

/** Frames a logical message of `type` takes, header included; undefined for an unknown type. */
export function frameCount(type: string): number | undefined {
  switch (type) {
    case MessageType.ACK:
    case MessageType.HEARTBEAT:
      return 1;
    case MessageType.CALL:
    case MessageType.CAST:
    case MessageType.CAST_FANOUT:
    case MessageType.NOTIFY:
    case MessageType.REPLY:
    case MessageType.NACK:
      return 2;
    default:
      return undefined;
  }
}

/**
 * Visits the logical messages of a multipart message from frame `from` on (a sender may batch several
 * back to back): `visit(type, msgId, frames, at, end)` gets each one's header, read once, and its frames
 * `frames[at..end)` (fewer than the type needs when the message is cut short). Stops at the first header
 * it cannot read and returns the unreadable tail and why; undefined when every message was readable.
 */
export function eachMessage(
  frames: readonly Buffer[],
  from: number,
  visit: (type: string, msgId: string, frames: readonly Buffer[], at: number, end: number) => void,
): { rest: Buffer[]; error: MalformedMessage } | undefined {
  let i = from;
  while (i < frames.length) {
    let type: string;
    let msgId: string;
    let count: number | undefined;
    try {
      ({ type, msgId } = decodeHeader(frames[i]));
      count = frameCount(type);
      if (count === undefined)
        throw new MalformedMessage(
          `Unknown ZeroMQ message type in ${JSON.stringify(frames[i]!.toString('latin1').slice(0, 64))}`,
        );
    } catch (err) {
      return { rest: frames.slice(i), error: err as MalformedMessage };
    }
    const end = Math.min(i + count, frames.length);
    visit(type, msgId, frames, i, end);
    i = end;
  }
  return undefined;
}

/**
 * Splits a multipart message into its logical messages (a sender may batch several back to back).
 * Stops at the first header it cannot read: `rest` then holds the unreadable tail and `error` why.
 */
export function splitMessages(frames: readonly Buffer[]): {
  messages: Buffer[][];
  rest: Buffer[];
  error: MalformedMessage | undefined;
} {
  const messages: Buffer[][] = [];
  const bad = eachMessage(frames, 0, (_type, _msgId, all, at, end) => void messages.push(all.slice(at, end)));
  return { messages, rest: bad?.rest ?? [], error: bad?.error };
}

/** Decodes the frames a server receives (after the ROUTER's identity frame). Throws `MalformedMessage`. */
export function decodeRequest(frames: readonly Buffer[]): RequestFrames {
  const { type, msgId } = decodeHeader(frames[0]);
  return requestAt(type, msgId, frames, 0, frames.length);
}

/** {@link decodeRequest} of `frames[at..end)`, whose header was read already (see {@link eachMessage}). */
export function requestAt(
  type: string,
  msgId: string,
  frames: readonly Buffer[],
  at: number,
  end: number,
): RequestFrames {
  if (!REQUEST_TYPES.has(type))
    throw new MalformedMessage(`Unknown ZeroMQ request type ${JSON.stringify(type.slice(0, 8))}`);
  if (end - at !== 2) throw new MalformedMessage(`ZeroMQ request has ${end - at} frames, expected 2`);
  const body = parseJson(frames[at + 1]!.toString('utf8'));
  if (
    !isObject(body) ||
    !isObject(body['request']) ||
    !isObject(body['context']) ||
    typeof body['topic'] !== 'string' ||
    typeof body['server'] !== 'string'
  ) {
    throw new MalformedMessage(
      'ZeroMQ request payload must be {"topic": "...", "server": "...", "request": {...}, "context": {...}}',
    );
  }
  if (type !== MessageType.NOTIFY && typeof body['request']['method'] !== 'string')
    throw new MalformedMessage('ZeroMQ RPC request has no method');
  const cmt = body['call_monitor_timeout'];
  return {
    type: type as RequestType,
    msgId,
    topic: body['topic'],
    server: body['server'],
    context: body['context'],
    request: body['request'],
    callMonitorTimeout: typeof cmt === 'number' && Number.isFinite(cmt) ? cmt : null,
  };
}

/** Decodes the frames a client's DEALER receives. Throws `MalformedMessage`. */
export function decodeResponse(frames: readonly Buffer[]): ResponseFrames {
  const { type, msgId } = decodeHeader(frames[0]);
  return responseAt(type, msgId, frames, 0, frames.length);
}

/** {@link decodeResponse} of `frames[at..end)`, whose header was read already (see {@link eachMessage}). */
export function responseAt(
  type: string,
  msgId: string,
  frames: readonly Buffer[],
  at: number,
  end: number,
): ResponseFrames {
  const payload = at + 1 < end ? frames[at + 1] : undefined;
  switch (type) {
    case MessageType.ACK:
    case MessageType.HEARTBEAT:
      return { type, msgId };
    case MessageType.NACK:
      return { type, msgId, reason: payload?.toString('utf8') ?? '' };
    case MessageType.REPLY: {
      if (payload === undefined) throw new MalformedMessage('ZeroMQ reply has no payload frame');
      const body = parseJson(payload.toString('utf8'));
      if (!isObject(body) || (!('response' in body) && !('failure' in body)))
        throw new MalformedMessage('ZeroMQ reply payload must be {"response": ...} or {"failure": ...}');
      return { type, msgId, result: body['response'] ?? null, failure: body['failure'] ?? null };
    }
    default:
      throw new MalformedMessage(`Unknown ZeroMQ response type ${JSON.stringify(type.slice(0, 8))}`);
  }
}
