/** Runs the work servers hand it (one task per incoming message or batch). */
export interface Executor {
  /**
   * Schedules `task`. The returned promise resolves when the task was accepted, which may be later
   * than the call when the executor is full: this is the back-pressure a pulling driver waits for.
   * A task's own failure never rejects it; tasks handle their errors.
   */
  submit(task: () => Promise<void>): Promise<void>;
  /** Refuses new tasks and resolves once every accepted task has finished. Idempotent. */
  shutdown(): Promise<void>;
}

/** Options core passes to an executor factory. */
export interface ExecutorOptions {
  /** Maximum concurrent tasks (`executor_thread_pool_size`, default 64). */
  readonly poolSize: number;
}

/** The value an executor package exports for the `oslo.messaging.executors` group. */
export interface ExecutorFactory {
  /** The name used in messages and `list` output, e.g. `pool`. */
  readonly name: string;
  /** Makes an executor for one server; called once per `server.start()`. */
  create(options: ExecutorOptions): Executor;
}
