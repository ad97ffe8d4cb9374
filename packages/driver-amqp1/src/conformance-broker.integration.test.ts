import { runDriverConformanceSuite } from '@oslo-messaging/testkit';
import { afterAll, beforeAll } from 'vitest';
import { startTestBroker, type TestBroker } from './__fixtures__/test-broker.js';

// oslo semantics through a real AMQP 1.0 broker (the qpidd-like Proton broker of test-fixtures), legacy addressing.
let broker: TestBroker;
beforeAll(async () => void (broker = await startTestBroker()));
afterAll(async () => broker.stop());

runDriverConformanceSuite({
  name: 'amqp1 (Proton test broker)',
  url: () => `amqp://127.0.0.1:${broker.port}/`,
  transportOptions: { driverOptions: { link_retry_delay: 1 } },
  capabilities: { pools: false },
});
