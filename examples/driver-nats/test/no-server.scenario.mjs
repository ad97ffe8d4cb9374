// A service whose NATS server is not there, in a child process with Node's defaults (an unhandled
// rejection kills it): calls and casts settle by their deadlines, and cleanup settles what still
// waits for a connection. Driven by test/../src/nats-driver.integration.test.ts.
import { getRpcClient, getRpcTransport, registerPlugin, silentLogger } from '@oslo-messaging/core';
import { ENTRY_POINT_GROUPS } from '@oslo-messaging/core/spi';
import { report, sleep, timed } from '@oslo-messaging/testkit/scenario';
import { natsDriver } from '../dist/index.js';

registerPlugin(ENTRY_POINT_GROUPS.drivers, 'nats', natsDriver);
const url = 'nats://127.0.0.1:1/?nats_retry_interval=0.2';

const t = await getRpcTransport({ url, logger: silentLogger });
await timed('call', 1, () => getRpcClient(t, { topic: 'x' }, { timeout: 1 }).call({}, 'x'));
await timed('cast-with-timeout', 1, () => getRpcClient(t, { topic: 'x' }, { timeout: 1 }).cast({}, 'x'));
// Waiting for a connection when the transport is cleaned up: both are rejected at once.
const pending = [
  timed('pending-call', 30, () => getRpcClient(t, { topic: 'x' }, { timeout: 30 }).call({}, 'x')),
  timed('pending-cast', undefined, () => getRpcClient(t, { topic: 'x' }).cast({}, 'x')),
];
await sleep(300);
const began = Date.now();
await t.cleanup();
await Promise.all(pending);
report('cleaned-up', { ms: Date.now() - began });
// Nothing (a reconnect timer, a socket) may keep the process alive now.
