/** Executor with bounded concurrency (executor_thread_pool_size); also registered as oslo's threading */
export {};
