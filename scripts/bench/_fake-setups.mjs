// The two sides of the in-process scenario (scripts/bench/fake.mjs), shared with the allocation child
// (_fake-alloc.mjs): our RPC over the in-memory driver, and Moleculer 0.14's Fake transporter doing
// the same work (a client node calling an echo action of a server node, JSON-serialized through the
// transporter, 100-byte payload, a reply per call).
import { randomUUID } from 'node:crypto';
import { measureCalls as measure, osloRpcBench, PAYLOAD } from './_measure.mjs';

/** Ours: a server and a client on one `fake://` transport (the in-memory broker routes between them). */
export async function oursSetup() {
  return osloRpcBench('fake://');
}

/**
 * Moleculer: two brokers (client node and server node) on the Fake transporter, so every call crosses
 * the transporter (serialize, bus, deserialize, reply) as ours crosses the in-memory broker. Logging,
 * metrics and tracing off; `requestTimeout` as ours (30 s), so both sides arm a deadline per call.
 */
export async function moleculerSetup() {
  const { ServiceBroker } = (await import('moleculer')).default;
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const common = {
    namespace,
    transporter: 'Fake',
    logger: false,
    metrics: false,
    tracing: false,
    requestTimeout: 30_000,
  };
  const server = new ServiceBroker({ ...common, nodeID: `${namespace}-server` });
  server.createService({ name: 'bench', actions: { echo: (ctx) => ctx.params.payload } });
  const client = new ServiceBroker({ ...common, nodeID: `${namespace}-client` });
  await server.start();
  await client.start();
  await client.waitForServices('bench');
  return {
    call: () => client.call('bench.echo', { payload: PAYLOAD }),
    close: async () => {
      await client.stop();
      await server.stop();
    },
  };
}

export const SIDES = { ours: oursSetup, moleculer: moleculerSetup };

/** The shared measuring loop (`measureCalls` in _measure.mjs), under the name the children use. */
export { measure };

/** Warm-up: enough calls, sequential and concurrent, for the JIT to settle. */
export async function warmUp(op, calls = 3000) {
  await measure(op, 1, calls);
  await measure(op, 10, calls);
}
