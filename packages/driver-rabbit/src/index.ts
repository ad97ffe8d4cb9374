/**
 * `@oslo-messaging/driver-rabbit`: the RabbitMQ transport (`rabbit://`, alias `kombu://`) over
 * amqplib, with oslo.messaging 14's topology and wire format.
 *
 * @packageDocumentation
 */
import { defineDriver } from '@oslo-messaging/core/spi';
import { RabbitDriver } from './driver.js';
import { RABBIT_OPTIONS } from './options.js';

export { RabbitDriver } from './driver.js';
export { RABBIT_OPTIONS } from './options.js';

/** The `rabbit` / `kombu` driver plugin. */
export const rabbitDriver = defineDriver({
  name: 'rabbit',
  optionGroups: { oslo_messaging_rabbit: RABBIT_OPTIONS },
  create: (context) => new RabbitDriver(context),
});
