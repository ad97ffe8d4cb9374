import type { Context } from './spi/driver.js';

/**
 * Converts entities and contexts between application objects and what travels on the wire
 * (oslo's `Serializer`). Implement it for your own types; methods may be async.
 */
export interface Serializer<Ctxt = Context> {
  /** Turns an argument or result into JSON-able data before it is sent. */
  serializeEntity(ctxt: Ctxt, entity: unknown): unknown;
  /** Rebuilds an argument or result from what was received. */
  deserializeEntity(ctxt: Ctxt, entity: unknown): unknown;
  /** Turns the request context into the plain dict that travels as `_context_*` keys. */
  serializeContext(ctxt: Ctxt): Context;
  /** Rebuilds the request context from the received dict. */
  deserializeContext(ctxt: Context): Ctxt;
}

/** Leaves everything as it is (the default). */
export class NoOpSerializer implements Serializer {
  serializeEntity(_ctxt: Context, entity: unknown): unknown {
    return entity;
  }
  deserializeEntity(_ctxt: Context, entity: unknown): unknown {
    return entity;
  }
  serializeContext(ctxt: Context): Context {
    return ctxt;
  }
  deserializeContext(ctxt: Context): Context {
    return ctxt;
  }
}

/** Converts a value to JSON primitives like oslo's `jsonutils.to_primitive(convert_instances=True)`. */
export function toPrimitive(value: unknown, depth = 0): unknown {
  if (depth > 100) return '?';
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return formatPythonDatetime(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toPrimitive(v, depth + 1)]));
  if (value instanceof Set || Array.isArray(value)) return [...value].map((v) => toPrimitive(v, depth + 1));
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object') {
    const withJson = value as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') return toPrimitive(withJson.toJSON(), depth + 1);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') out[k] = toPrimitive(v, depth + 1);
    return out;
  }
  return String(value);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff`, the format of oslo's `jsonutils` for datetimes (UTC). */
export function formatPythonDatetime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

/** Serializes payloads with {@link toPrimitive} (oslo's `JsonPayloadSerializer`). */
export class JsonPayloadSerializer extends NoOpSerializer {
  override serializeEntity(_ctxt: Context, entity: unknown): unknown {
    return toPrimitive(entity);
  }
}

/** A request context object that can turn itself into a dict and back (like oslo.context's RequestContext). */
export interface RequestContextLike {
  /** The context as a plain JSON dict (oslo.context's `to_dict()`). */
  toDict(): Context;
}

/**
 * Sends a context object as its `toDict()` and rebuilds it with `fromDict` on receipt, delegating
 * entities to a base serializer (the pattern nova and others use on top of oslo).
 */
export class RequestContextSerializer<C extends RequestContextLike> implements Serializer<C> {
  constructor(
    private readonly fromDict: (dict: Context) => C,
    private readonly base: Serializer = new NoOpSerializer(),
  ) {}
  serializeEntity(ctxt: C, entity: unknown): unknown {
    return this.base.serializeEntity(ctxt.toDict(), entity);
  }
  deserializeEntity(ctxt: C, entity: unknown): unknown {
    return this.base.deserializeEntity(ctxt.toDict(), entity);
  }
  serializeContext(ctxt: C): Context {
    return ctxt.toDict();
  }
  deserializeContext(ctxt: Context): C {
    return this.fromDict(ctxt);
  }
}
