/**
 * `@oslo-messaging/driver-zmq`: the brokerless ZeroMQ transport (`zmq://`). Servers bind one ROUTER
 * socket per process and announce themselves in a matchmaker (plugins in `oslo.messaging.zmq.matchmaker`:
 * `dummy` built in, `redis`/`sentinel` and `static` in their own packages); clients talk to them over DEALER
 * sockets. The wire protocol is documented in the package README.
 *
 * @packageDocumentation
 */
import {
  defineDriver,
  defineMatchmaker,
  ENTRY_POINT_GROUPS,
  type DriverContext,
  type Matchmaker,
} from '@oslo-messaging/core/spi';
import { DummyMatchmaker } from './dummy-matchmaker.js';
import { ZmqDriver } from './driver.js';
import { ZMQ_OPTIONS } from './options.js';

export { ZmqDriver } from './driver.js';
export type { ZmqOptions } from './driver.js';
export { ZMQ_OPTIONS } from './options.js';
export { DummyMatchmaker } from './dummy-matchmaker.js';
export { matchmakerKeys } from '@oslo-messaging/core/spi';
export { PROTOCOL_VERSION, MessageType, EVERY_POOL, encodeRequest, decodeRequest, decodeResponse } from './frames.js';
export type { RequestFrames, ResponseFrames, RequestType } from './frames.js';

/** The matchmaker named by a `zmq+<name>://` scheme, else by `rpc_zmq_matchmaker`. */
async function loadMatchmaker(context: DriverContext, configured: string): Promise<Matchmaker> {
  const fromScheme = context.url.transport.includes('+')
    ? context.url.transport.slice(context.url.transport.indexOf('+') + 1)
    : '';
  const name = fromScheme || configured;
  if (name === 'dummy') return new DummyMatchmaker();
  const factory = await context.loadPlugin(ENTRY_POINT_GROUPS.matchmakers, name);
  return factory.create({
    url: context.url,
    logger: context.logger,
    options: (group, schema) => context.options(group, schema),
  });
}

/** The `zmq` driver plugin. */
export const zmqDriver = defineDriver({
  name: 'zmq',
  optionGroups: { oslo_messaging_zmq: ZMQ_OPTIONS },
  create: async (context) => {
    const opts = context.options('oslo_messaging_zmq', ZMQ_OPTIONS);
    const matchmaker = await loadMatchmaker(context, opts.rpc_zmq_matchmaker);
    return new ZmqDriver(context, opts, matchmaker);
  },
});

/** oslo's `dummy` matchmaker: in-process only (the driver's default). */
export const dummyMatchmaker = defineMatchmaker({ name: 'dummy', create: () => new DummyMatchmaker() });
