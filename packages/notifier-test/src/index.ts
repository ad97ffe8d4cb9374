/**
 * `@oslo-messaging/notifier-test`: the `test` notification driver, which keeps every notification in
 * memory so tests can assert on what an application emitted.
 *
 * @packageDocumentation
 */
import {
  defineNotifierDriver,
  type Branded,
  type NotifierDriverContext,
  type NotifierDriverFactory,
} from '@oslo-messaging/core/spi';
import { defaultNotificationStore, NotificationStore } from './notification-store.js';
import { TestNotifierDriver } from './test-driver.js';

export {
  NotificationStore,
  defaultNotificationStore,
  getNotifications,
  resetNotifications,
} from './notification-store.js';
export type { SentNotification } from './notification-store.js';
export { TestNotifierDriver } from './test-driver.js';

/** A `test` driver plugin that also tells where its drivers record. */
export interface TestNotifierDriverFactory extends NotifierDriverFactory {
  /** The store every driver made by this plugin appends to. */
  readonly store: NotificationStore;
  create(context?: NotifierDriverContext): TestNotifierDriver;
}

/** Options of {@link createTestNotifierDriver}. */
export interface TestNotifierDriverOptions {
  /** Where drivers record (default: a new store of its own, isolated from the process-wide one). */
  readonly store?: NotificationStore | undefined;
  /** Plugin name (default `test`). */
  readonly name?: string | undefined;
}

/**
 * Makes a `test` driver plugin recording into its own store, for tests that must not share the
 * process-wide list. Register it with `registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'test', plugin)`
 * and read `plugin.store.notifications`.
 */
export function createTestNotifierDriver(options: TestNotifierDriverOptions = {}): Branded<TestNotifierDriverFactory> {
  const store = options.store ?? new NotificationStore();
  const factory: TestNotifierDriverFactory = {
    name: options.name ?? 'test',
    store,
    create: () => new TestNotifierDriver(store),
  };
  // defineNotifierDriver copies every own property, so `store` and the narrower `create` survive.
  return defineNotifierDriver(factory) as Branded<TestNotifierDriverFactory>;
}

/**
 * The `test` notifier driver plugin (entry point `oslo.messaging.notify.drivers:test`); it records
 * into the process-wide store read by {@link getNotifications}.
 */
export const testNotifierDriver: Branded<TestNotifierDriverFactory> = createTestNotifierDriver({
  store: defaultNotificationStore,
});
