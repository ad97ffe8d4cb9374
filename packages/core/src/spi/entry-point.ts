import { SPI_VERSION } from '../version.js';

/** The stevedore-style groups plugins register under; the names are Python's, verbatim. */
export const ENTRY_POINT_GROUPS = {
  /** Transport drivers ({@link defineDriver}), named by URL scheme: `rabbit`, `amqp`, `zmq`, ... */
  drivers: 'oslo.messaging.drivers',
  /** Executors ({@link defineExecutor}): `pool`, `blocking`, ... */
  executors: 'oslo.messaging.executors',
  /** Notifier drivers ({@link defineNotifierDriver}): `messagingv2`, `log`, `noop`, ... */
  notifyDrivers: 'oslo.messaging.notify.drivers',
  /** ZeroMQ matchmakers ({@link defineMatchmaker}): `dummy`, `redis`, `sentinel`, `static`. */
  matchmakers: 'oslo.messaging.zmq.matchmaker',
  /** RPC metrics collectors ({@link defineMetricsCollector}): `oslo.metrics`. */
  metrics: 'oslo.messaging.metrics',
} as const;

/** One of {@link ENTRY_POINT_GROUPS}. */
export type EntryPointGroup = (typeof ENTRY_POINT_GROUPS)[keyof typeof ENTRY_POINT_GROUPS];

/** The brand key every plugin value carries (a registered symbol, so it survives two copies of core). */
export const ENTRY_POINT_BRAND: unique symbol = Symbol.for('oslo.messaging.entryPoint') as never;

/** What the brand says about a plugin value. */
export interface EntryPointBrand {
  /** The group the value was declared for. */
  readonly group: EntryPointGroup;
  /** The SPI version the plugin was written against; core refuses other majors. */
  readonly apiVersion: number;
}

/** A plugin value: an SPI factory stamped with its brand. */
export type Branded<T> = T & {
  /** The brand: group and SPI version. */
  readonly [ENTRY_POINT_BRAND]: EntryPointBrand;
};

/** Stamps a factory with the brand of `group` at the current {@link SPI_VERSION}. */
export function brand<T extends object>(group: EntryPointGroup, factory: T): Branded<T> {
  return Object.freeze(
    Object.assign(Object.create(null) as object, factory, {
      [ENTRY_POINT_BRAND]: Object.freeze({ group, apiVersion: SPI_VERSION }),
    }),
  );
}

/** Reads the brand of a value, or `undefined` if it has none. */
export function readBrand(value: unknown): EntryPointBrand | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  const b = (value as { [ENTRY_POINT_BRAND]?: unknown })[ENTRY_POINT_BRAND];
  if (typeof b !== 'object' || b === null) return undefined;
  const { group, apiVersion } = b as Partial<EntryPointBrand>;
  if (typeof group !== 'string' || typeof apiVersion !== 'number') return undefined;
  return { group, apiVersion };
}
