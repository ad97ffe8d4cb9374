/**
 * `@oslo-messaging/driver-fake`: the in-memory transport (`fake://`). One process-wide broker per
 * virtual host (`fake:///myvhost` is isolated from `fake://`), with RabbitMQ's semantics: topic
 * round-robin, server-targeted, fanout, replies, timeouts, notification pools and requeue.
 *
 * @packageDocumentation
 */
import { defineDriver } from '@oslo-messaging/core/spi';
import { FakeDriver } from './fake-driver.js';

export { FakeDriver } from './fake-driver.js';
export { Broker, Queue, brokerFor } from './broker.js';
export type { Delivery, ConsumerCallback } from './broker.js';

/** The `fake` driver plugin. */
export const fakeDriver = defineDriver({
  name: 'fake',
  create: (context) => new FakeDriver(context),
});
