/**
 * `@oslo-messaging/executor-worker-threads`: runs CPU-bound endpoint methods in a pool of worker
 * threads, so one heavy request does not stall every other request of the process.
 *
 * @packageDocumentation
 */
import { defineExecutor } from '@oslo-messaging/core/spi';
import { BoundedExecutor } from '@oslo-messaging/executor-pool';
import { closeDefaultWorkerPool } from './worker-endpoint.js';

export { WorkerPool, WorkerPoolFull, WorkerCrashed } from './worker-pool.js';
export type { WorkerPoolOptions } from './worker-pool.js';
export { workerEndpoint, defaultWorkerPool, closeDefaultWorkerPool } from './worker-endpoint.js';
export type { WorkerEndpointSpec } from './worker-endpoint.js';

/**
 * The `worker-threads` executor: dispatches up to `executor_thread_pool_size` messages at once
 * (their worker endpoint methods run in the shared worker pool) and, on a server's `wait()`, lets
 * in-flight work finish and then stops the shared pool's threads.
 */
export const workerThreadsExecutor = defineExecutor({
  name: 'worker-threads',
  create: ({ poolSize }) => {
    const inner = new BoundedExecutor(poolSize);
    return {
      submit: (task) => inner.submit(task),
      shutdown: async () => {
        await inner.shutdown();
        await closeDefaultWorkerPool();
      },
    };
  },
});
