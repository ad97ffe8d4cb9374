import { ExecutorLoadFailure } from '../errors.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import type { Executor, ExecutorFactory } from '../spi/executor.js';
import type { Transport } from '../transport.js';

/** The executor servers use when none is named (registered also as oslo's `threading`). */
export const DEFAULT_EXECUTOR = 'pool';

/** Loads and creates the named executor plugin; a factory object is used as it is. */
export async function createExecutor(
  transport: Transport,
  executor: string | ExecutorFactory | undefined,
): Promise<Executor> {
  const factory =
    typeof executor === 'object'
      ? executor
      : await transport.plugins.load(ENTRY_POINT_GROUPS.executors, executor ?? DEFAULT_EXECUTOR);
  try {
    return factory.create({ poolSize: transport.conf.executorThreadPoolSize });
  } catch (err) {
    throw new ExecutorLoadFailure(
      `Executor "${factory.name}" failed to start: ${(err as Error).message}`,
      factory.name,
      { cause: err },
    );
  }
}
