/**
 * `@oslo-messaging/driver-amqp1`: the AMQP 1.0 transport (`amqp://`), oslo.messaging's `amqp` driver
 * re-implemented over rhea: legacy, routable and dynamic addressing, the same message bodies, reply
 * correlation, heartbeats and settlement, so Node.js and Python services talk through an AMQP 1.0 broker
 * or router; plus a `rabbitmq` addressing mode for RabbitMQ's AMQP 1.0 plugin.
 *
 * @packageDocumentation
 */
import { defineDriver } from '@oslo-messaging/core/spi';
import { Amqp1Driver } from './driver.js';
import { AMQP1_OPTIONS } from './options.js';

export { Amqp1Driver } from './driver.js';
export { AMQP1_OPTIONS } from './options.js';
export { Addresser, chooseMode } from './addressing.js';
export type { AddressingMode, AddressingOptions, AddressTarget, Service } from './addressing.js';
export { requestBody, decodeRequest, replyBody, decodeReply } from './messages.js';
export type { DecodedRequest } from './messages.js';

/** The `amqp` driver plugin. */
export const amqp1Driver = defineDriver({
  name: 'amqp',
  optionGroups: { oslo_messaging_amqp: AMQP1_OPTIONS },
  create: (context) => new Amqp1Driver(context, context.options('oslo_messaging_amqp', AMQP1_OPTIONS)),
});
