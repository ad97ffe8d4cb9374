/**
 * `@oslo-messaging/testkit`: the driver conformance suite. Any transport driver, ours or a third
 * party's, proves oslo.messaging's semantics by running it with a URL factory.
 *
 * @packageDocumentation
 */
export { runDriverConformanceSuite } from './conformance.js';
export type { ConformanceOptions, DriverCapabilities } from './conformance.js';
export { runScenario, assertHealthy, CRASH_PATTERNS } from './fault-harness.js';
export type { ScenarioOptions, ScenarioResult, ScenarioRun, HealthOptions } from './fault-harness.js';
