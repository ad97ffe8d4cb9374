import type { Context } from '../spi/driver.js';

const PREFIX = '_context_';

/** Adds each context entry to `message` as `_context_<key>`, as oslo's AMQP drivers do. */
export function packContext(message: Record<string, unknown>, ctxt: Context): Record<string, unknown> {
  const keys = Object.keys(ctxt);
  for (let i = 0; i < keys.length; i++) message[PREFIX + keys[i]!] = ctxt[keys[i]!];
  return message;
}

/** A message with its oslo bookkeeping keys taken out. */
export interface UnpackedMessage {
  /** The `_context_*` entries, unprefixed. */
  readonly ctxt: Context;
  /** The message without `_context_*`, `_msg_id`, `_reply_q`, `_timeout` and `_unique_id`. */
  readonly message: Record<string, unknown>;
  /** `_msg_id`: set for calls, the id the reply must carry. */
  readonly msgId: string | undefined;
  /** `_reply_q`: where the reply of a call goes. */
  readonly replyQueue: string | undefined;
  /** `_timeout`: the caller's call-monitor timeout, or null. */
  readonly clientTimeout: number | null;
  /** `_unique_id`: the message's id, for duplicate detection. */
  readonly uniqueId: string | undefined;
}

/** oslo's `unpack_context`: splits a decoded message into context, bookkeeping and body. */
export function unpackContext(raw: Readonly<Record<string, unknown>>): UnpackedMessage {
  const ctxt: Context = {};
  const message: Record<string, unknown> = {};
  const keys = Object.keys(raw);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = raw[k];
    // Every bookkeeping key starts with '_': one character decides for the others.
    if (k.charCodeAt(0) !== 95) message[k] = v;
    else if (k.startsWith(PREFIX)) ctxt[k.slice(PREFIX.length)] = v;
    else if (k !== '_msg_id' && k !== '_reply_q' && k !== '_timeout' && k !== '_unique_id') message[k] = v;
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const t = raw['_timeout'];
  return {
    ctxt,
    message,
    msgId: str(raw['_msg_id']),
    replyQueue: str(raw['_reply_q']),
    clientTimeout: typeof t === 'number' && Number.isFinite(t) ? t : null,
    uniqueId: str(raw['_unique_id']),
  };
}
