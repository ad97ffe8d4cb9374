/**
 * `@oslo-messaging/notifier-noop`: the `noop` notification driver, which drops every notification.
 * With `driver: 'noop'` as the only driver, `notifier.isEnabled()` is `false`, so callers can skip
 * building payloads altogether.
 *
 * @packageDocumentation
 */
import { defineNotifierDriver } from '@oslo-messaging/core/spi';
import { NoopNotifierDriver } from './noop-driver.js';

export { NoopNotifierDriver } from './noop-driver.js';

/** The `noop` notifier driver plugin (entry point `oslo.messaging.notify.drivers:noop`). */
export const noopNotifierDriver = defineNotifierDriver({
  name: 'noop',
  create: () => new NoopNotifierDriver(),
});
