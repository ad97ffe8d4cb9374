import { brand, ENTRY_POINT_GROUPS, type Branded } from './entry-point.js';
import type { DriverFactory } from './driver.js';
import type { ExecutorFactory } from './executor.js';
import type { MatchmakerFactory } from './matchmaker.js';
import type { MetricsCollectorFactory } from './metrics.js';
import type { NotifierDriverFactory } from './notifier.js';

/** Declares a transport driver plugin. Export the result and name it in package.json. */
export function defineDriver(factory: DriverFactory): Branded<DriverFactory> {
  return brand(ENTRY_POINT_GROUPS.drivers, factory);
}

/** Declares an executor plugin. */
export function defineExecutor(factory: ExecutorFactory): Branded<ExecutorFactory> {
  return brand(ENTRY_POINT_GROUPS.executors, factory);
}

/** Declares a notifier driver plugin. */
export function defineNotifierDriver(factory: NotifierDriverFactory): Branded<NotifierDriverFactory> {
  return brand(ENTRY_POINT_GROUPS.notifyDrivers, factory);
}

/** Declares a ZeroMQ matchmaker plugin. */
export function defineMatchmaker(factory: MatchmakerFactory): Branded<MatchmakerFactory> {
  return brand(ENTRY_POINT_GROUPS.matchmakers, factory);
}

/** Declares an RPC metrics collector plugin. */
export function defineMetricsCollector(factory: MetricsCollectorFactory): Branded<MetricsCollectorFactory> {
  return brand(ENTRY_POINT_GROUPS.metrics, factory);
}
