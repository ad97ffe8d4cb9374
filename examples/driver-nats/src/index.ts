/**
 * `oslo-messaging-driver-nats`: an oslo-messaging transport driver for NATS (`nats://host:4222/vhost`), written
 * as a third-party package: it depends on nothing of this repository but `@oslo-messaging/core` (a peer) and
 * names its entry point in package.json, so core finds it when an application installs it.
 *
 * @packageDocumentation
 */
import { defineDriver } from '@oslo-messaging/core/spi';
import { NatsDriver } from './driver.js';
import { NATS_OPTIONS } from './options.js';

export { NatsDriver } from './driver.js';
export { NATS_OPTIONS } from './options.js';
export { Subjects, token } from './subjects.js';

/** The `nats` driver plugin (named in package.json under `oslo.messaging.drivers`). */
export const natsDriver = defineDriver({
  name: 'nats',
  optionGroups: { oslo_messaging_nats: NATS_OPTIONS },
  create: (context) => new NatsDriver(context),
});
