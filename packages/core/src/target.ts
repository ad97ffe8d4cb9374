import { InvalidTarget } from './errors.js';

/** The fields of a {@link Target}; every field is optional. */
export interface TargetFields {
  /** Exchange (scope) of the topic; defaults to the transport's control exchange. */
  readonly exchange?: string | undefined;
  /** Name of the RPC interface or notification stream. */
  readonly topic?: string | undefined;
  /** Namespace of methods on the topic; `undefined` is oslo's null namespace. */
  readonly namespace?: string | undefined;
  /** API version `major.minor` an endpoint implements or a client requires. */
  readonly version?: string | undefined;
  /** A specific server listening on the topic. */
  readonly server?: string | undefined;
  /** Deliver to every server on the topic (cast only). */
  readonly fanout?: boolean | undefined;
  /** Namespaces an endpoint also accepts, besides `namespace`. */
  readonly legacyNamespaces?: readonly string[] | undefined;
}

const FIELDS = ['exchange', 'topic', 'namespace', 'version', 'server', 'fanout'] as const;

/**
 * Where a message goes, or what a server or endpoint listens to (Python: `oslo_messaging.Target`).
 * Immutable: {@link Target.with} returns a copy with overrides.
 */
export class Target implements TargetFields {
  readonly exchange: string | undefined;
  readonly topic: string | undefined;
  readonly namespace: string | undefined;
  readonly version: string | undefined;
  readonly server: string | undefined;
  readonly fanout: boolean | undefined;
  readonly legacyNamespaces: readonly string[];

  /** @throws {@link InvalidTarget} when a field has the wrong type (a non-string topic, a non-boolean fanout) */
  constructor(fields: TargetFields = {}) {
    for (const key of ['exchange', 'topic', 'namespace', 'version', 'server'] as const) {
      const v = fields[key];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        throw new InvalidTarget(`Target ${key} must be a string, got ${typeof v}`, JSON.stringify(fields));
      }
    }
    if (fields.fanout !== undefined && fields.fanout !== null && typeof fields.fanout !== 'boolean') {
      throw new InvalidTarget('Target fanout must be a boolean', JSON.stringify(fields));
    }
    this.exchange = fields.exchange ?? undefined;
    this.topic = fields.topic ?? undefined;
    this.namespace = fields.namespace ?? undefined;
    this.version = fields.version ?? undefined;
    this.server = fields.server ?? undefined;
    this.fanout = fields.fanout ?? undefined;
    this.legacyNamespaces = Object.freeze([...(fields.legacyNamespaces ?? [])]);
    Object.freeze(this);
  }

  /** Namespaces an endpoint with this target accepts: `[namespace, ...legacyNamespaces]`. */
  get acceptedNamespaces(): ReadonlyArray<string | undefined> {
    return [this.namespace, ...this.legacyNamespaces];
  }

  /**
   * A copy with some fields replaced. Like Python's `target(**kw)`, the copy drops `legacyNamespaces`
   * unless given again. Pass `undefined` explicitly to clear a field.
   *
   * @throws {@link InvalidTarget} when an override has the wrong type
   */
  with(overrides: TargetFields): Target {
    const next: Record<string, unknown> = {};
    for (const key of FIELDS) next[key] = key in overrides ? overrides[key] : this[key];
    if (overrides.legacyNamespaces !== undefined) next['legacyNamespaces'] = overrides.legacyNamespaces;
    return new Target(next);
  }

  /** True when every field is equal. */
  equals(other: TargetFields): boolean {
    return (
      FIELDS.every((k) => (this[k] ?? undefined) === (other[k] ?? undefined)) &&
      JSON.stringify(this.legacyNamespaces) === JSON.stringify(other.legacyNamespaces ?? [])
    );
  }

  /** The fields that are set, for logs and `JSON.stringify`. */
  toJSON(): TargetFields {
    const out: Record<string, unknown> = {};
    for (const key of FIELDS) if (this[key] !== undefined) out[key] = this[key];
    if (this.legacyNamespaces.length > 0) out['legacyNamespaces'] = this.legacyNamespaces;
    return out;
  }

  /** `<Target topic=compute, server=host1>`, as Python prints it. */
  toString(): string {
    const attrs = FIELDS.filter((k) => this[k]).map((k) => `${k}=${String(this[k])}`);
    return `<Target ${attrs.join(', ')}>`;
  }

  /**
   * Accepts a Target or plain fields.
   *
   * @throws {@link InvalidTarget} when a field has the wrong type
   */
  static from(value: Target | TargetFields): Target {
    return value instanceof Target ? value : new Target(value);
  }
}

/**
 * Throws {@link InvalidTarget} unless the target can be sent to.
 *
 * @throws {@link InvalidTarget} when the target has no topic
 */
export function assertSendable(target: Target): void {
  if (!target.topic) throw new InvalidTarget('A topic is required to send', target);
}

/**
 * Throws {@link InvalidTarget} unless an RPC server can listen on the target.
 *
 * @throws {@link InvalidTarget} when the target lacks a topic or a server name
 */
export function assertRpcListenable(target: Target): void {
  if (!target.topic || !target.server) {
    throw new InvalidTarget("A server's target must have topic and server names specified", target);
  }
}

/**
 * Throws {@link InvalidTarget} unless a notification listener can listen on the target.
 *
 * @throws {@link InvalidTarget} when the target has no topic
 */
export function assertNotificationListenable(target: Target): void {
  if (!target.topic) throw new InvalidTarget('A target must have topic specified', target);
}
