import type { Context } from '../spi/driver.js';

type Pattern = string | RegExp;

/** Criteria of a {@link NotificationFilter}; strings are regular expressions matched at the start, like Python's `re.match`. */
export interface NotificationFilterCriteria {
  /** Matched against the publisher id, e.g. `'^compute\\.'`. */
  readonly publisherId?: Pattern;
  /** Matched against the event type, e.g. `'compute\\.instance\\..*'`. */
  readonly eventType?: Pattern;
  /** Patterns for context keys (e.g. `{ project_id: '^admin$' }`); a missing or non-string value never matches. */
  readonly context?: Readonly<Record<string, Pattern>>;
  /** Patterns for metadata keys (`message_id`, `timestamp`). */
  readonly metadata?: Readonly<Record<string, Pattern>>;
  /** Patterns for top-level payload keys. */
  readonly payload?: Readonly<Record<string, Pattern>>;
}

function anchored(p: Pattern): RegExp {
  const src = typeof p === 'string' ? p : p.source;
  const flags = typeof p === 'string' ? '' : p.flags.replace(/[gy]/g, '');
  return new RegExp(`^(?:${src})`, flags);
}

/**
 * Skips notifications an endpoint does not want (Python: `NotificationFilter`). Put one on an
 * endpoint as `filterRule`; every given criterion must match.
 */
export class NotificationFilter {
  readonly #publisherId: RegExp | undefined;
  readonly #eventType: RegExp | undefined;
  readonly #maps: ReadonlyArray<
    readonly ['context' | 'metadata' | 'payload', ReadonlyArray<readonly [string, RegExp]>]
  >;

  constructor(criteria: NotificationFilterCriteria) {
    this.#publisherId = criteria.publisherId !== undefined ? anchored(criteria.publisherId) : undefined;
    this.#eventType = criteria.eventType !== undefined ? anchored(criteria.eventType) : undefined;
    this.#maps = (['context', 'metadata', 'payload'] as const)
      .filter((k) => criteria[k] !== undefined)
      .map((k) => [k, Object.entries(criteria[k]!).map(([key, p]) => [key, anchored(p)] as const)] as const);
  }

  /** Whether the notification passes. Non-string values of a filtered key never match (as in oslo). */
  match(
    ctxt: Context,
    publisherId: string,
    eventType: string,
    metadata: Readonly<Record<string, unknown>>,
    payload: unknown,
  ): boolean {
    if (this.#publisherId && !this.#publisherId.test(publisherId)) return false;
    if (this.#eventType && !this.#eventType.test(eventType)) return false;
    const sources = { context: ctxt, metadata, payload: (payload ?? {}) as Record<string, unknown> };
    for (const [which, rules] of this.#maps) {
      const data = sources[which];
      for (const [key, re] of rules) {
        const v = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
        if (typeof v !== 'string' || !re.test(v)) return false;
      }
    }
    return true;
  }
}
