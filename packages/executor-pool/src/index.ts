/**
 * `@oslo-messaging/executor-pool`: runs up to `executor_thread_pool_size` (default 64) messages
 * concurrently. Registered as `pool` and, for oslo configurations, as `threading`.
 *
 * @packageDocumentation
 */
import { defineExecutor } from '@oslo-messaging/core/spi';
import { BoundedExecutor } from './bounded-executor.js';

export { BoundedExecutor } from './bounded-executor.js';

/** The `pool` / `threading` executor plugin. */
export const poolExecutor = defineExecutor({
  name: 'pool',
  create: ({ poolSize }) => new BoundedExecutor(poolSize),
});
