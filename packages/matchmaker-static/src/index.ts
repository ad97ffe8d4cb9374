/**
 * `@oslo-messaging/matchmaker-static`: a ZeroMQ matchmaker read from a JSON ring file
 * (`[matchmaker_ring] ringfile`), for fixed deployments without Redis.
 *
 * @packageDocumentation
 */
import { defineMatchmaker, defineOptions } from '@oslo-messaging/core/spi';
import { StaticMatchmaker } from './static-matchmaker.js';

export { StaticMatchmaker } from './static-matchmaker.js';
export { parseRing, readRing } from './ring-file.js';
export type { Ring } from './ring-file.js';

/** The `[matchmaker_ring]` options (oslo's name for the file-based matchmaker). */
export const RING_OPTIONS = defineOptions({
  ringfile: {
    type: 'string',
    default: '/etc/oslo/matchmaker_ring.json',
    help: 'JSON file mapping topics to host:port lists (see the README).',
  },
});

/** The `static` matchmaker plugin. */
export const staticMatchmaker = defineMatchmaker({
  name: 'static',
  create: (context) => new StaticMatchmaker(context.options('matchmaker_ring', RING_OPTIONS).ringfile, context.logger),
});
