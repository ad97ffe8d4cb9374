/**
 * `@oslo-messaging/executor-blocking`: handles one message at a time, in arrival order
 * (oslo's `blocking` executor).
 *
 * @packageDocumentation
 */
import { defineExecutor } from '@oslo-messaging/core/spi';
import { BoundedExecutor } from '@oslo-messaging/executor-pool';

/** The `blocking` executor plugin. */
export const blockingExecutor = defineExecutor({
  name: 'blocking',
  create: () => new BoundedExecutor(1),
});
