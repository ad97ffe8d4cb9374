import type { DriverFactory } from './driver.js';
import type { ExecutorFactory } from './executor.js';
import type { MatchmakerFactory } from './matchmaker.js';
import type { MetricsCollectorFactory } from './metrics.js';
import type { NotifierDriverFactory } from './notifier.js';

/** What a plugin of each entry-point group (`ENTRY_POINT_GROUPS`) is: the factory its package exports. */
export interface PluginTypes {
  /** Transport drivers. */
  'oslo.messaging.drivers': DriverFactory;
  /** Executors. */
  'oslo.messaging.executors': ExecutorFactory;
  /** Notifier drivers. */
  'oslo.messaging.notify.drivers': NotifierDriverFactory;
  /** ZeroMQ matchmakers. */
  'oslo.messaging.zmq.matchmaker': MatchmakerFactory;
  /** RPC metrics collectors. */
  'oslo.messaging.metrics': MetricsCollectorFactory;
}

/** The factory type of entry-point group `G`. */
export type PluginOf<G extends keyof PluginTypes> = PluginTypes[G];
