import {
  getNotificationListener,
  getNotificationTransport,
  ServerListenError,
  silentLogger,
  TransportDriverError,
} from '@oslo-messaging/core';
import { runDriverConformanceSuite } from '@oslo-messaging/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('what the suite skips', () => {
  it('a listener pool is refused (ServerListenError caused by a TransportDriverError), as in oslo.messaging', async () => {
    const transport = await getNotificationTransport({ url: `amqp://127.0.0.1:${broker.port}/`, logger: silentLogger });
    try {
      const listener = getNotificationListener(transport, [{ topic: 'pooled' }], [{ info: () => undefined }], {
        pool: 'workers',
      });
      const err: unknown = await listener.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ServerListenError);
      expect((err as ServerListenError).cause).toBeInstanceOf(TransportDriverError);
      expect((err as Error).message).toMatch(/pools are not supported by the AMQP 1.0 driver/);
    } finally {
      await transport.cleanup();
    }
  });
});
