/**
 * `@oslo-messaging/testkit`: the driver conformance suite. Any transport driver, ours or a third
 * party's, proves oslo.messaging's semantics by running it with a URL factory.
 *
 * @packageDocumentation
 */
export { runDriverConformanceSuite } from './conformance.js';
export type { ConformanceOptions, DriverCapabilities } from './conformance.js';
