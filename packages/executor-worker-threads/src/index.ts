/** Executor running endpoint methods in worker threads for CPU-bound endpoints */
export {};
