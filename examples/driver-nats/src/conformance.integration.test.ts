import { runDriverConformanceSuite } from '@oslo-messaging/testkit';
import { beforeAll } from 'vitest';
import { ensureNats } from '../test/ensure-nats.js';

beforeAll(ensureNats, 60_000);

// Each transport gets its own virtual host (a subject prefix), so tests never see each other's messages.
// Consumers of these throw-away queues expire a minute after the test.
runDriverConformanceSuite({
  name: 'nats',
  url: () =>
    `nats://127.0.0.1:4222/conformance-${Math.random().toString(36).slice(2)}?nats_consumer_inactive_threshold=60`,
});
