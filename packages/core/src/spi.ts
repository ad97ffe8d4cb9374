/**
 * `@oslo-messaging/core/spi`: what a plugin author needs: the `define*` functions that brand a
 * plugin, the SPI types (driver, executor, notifier driver, matchmaker, metrics collector), and the
 * wire helpers of oslo's formats (envelope, context packing, failures, the AMQP 0-9-1 dialect). An
 * application needs none of it: it imports `@oslo-messaging/core`.
 *
 * @packageDocumentation
 */

import './wire/core-remote-errors.js';

// Defining plugins
export {
  defineDriver,
  defineExecutor,
  defineNotifierDriver,
  defineMatchmaker,
  defineMetricsCollector,
} from './spi/define.js';
export { defineOptions } from './spi/options.js';
export type { OptionSchema, OptionSpec, OptionType, ResolvedOptions } from './spi/options.js';
export { ENTRY_POINT_GROUPS, ENTRY_POINT_BRAND, readBrand } from './spi/entry-point.js';
export type { EntryPointGroup, EntryPointBrand, Branded } from './spi/entry-point.js';
export type { PluginOf, PluginTypes } from './spi/plugin-types.js';
export { SPI_VERSION } from './version.js';
export { CORE_VERSION } from './plugins/registry.js';

// The SPI
export type {
  Context,
  Driver,
  DriverContext,
  DriverFactory,
  IncomingMessage,
  IncomingMessageInit,
  Listener,
  ListenOptions,
  MessageSink,
  NotificationListenOptions,
  NotificationMessage,
  NotificationSendOptions,
  RemoteErrorCodec,
  Reply,
  RpcRequest,
  SendOptions,
} from './spi/driver.js';
export type { ReplyRegistry, ReplyWaitOptions } from './spi/replies.js';
export type { Executor, ExecutorFactory, ExecutorOptions } from './spi/executor.js';
export type {
  NotifierDriver,
  NotifierDriverContext,
  NotifierDriverFactory,
  NotificationSender,
} from './spi/notifier.js';
export type { Matchmaker, MatchmakerContext, MatchmakerFactory } from './spi/matchmaker.js';
export { matchmakerKeys } from './spi/matchmaker.js';
export type { MetricsCollector, MetricsCollectorFactory, MetricsContext, RpcClientInvocation } from './spi/metrics.js';
export { resolveOptions } from './config/options-resolver.js';
export type { OptionSources } from './config/options-resolver.js';

// Deadlines and shutdown limits every plugin works under
export { abortable, abortReason, boundedWait, DEADLINE_SLACK_MS } from './operations.js';
export { DeadlineHeap } from './deadline-heap.js';
export type { DeadlineEntry } from './deadline-heap.js';
export { CLEANUP_LIMIT_MS } from './transport.js';
export { LISTENER_SHUTDOWN_LIMIT_MS } from './server/message-handling-server.js';

// oslo's wire formats
export { serializeEnvelope, deserializeEnvelope, ENVELOPE_VERSION } from './wire/envelope.js';
export { packContext, unpackContext } from './wire/context.js';
export type { UnpackedMessage } from './wire/context.js';
export { parseJson, parseJsonBody } from './wire/json.js';
export {
  serializeRemoteException,
  deserializeRemoteException,
  toFailure,
  createRemoteErrorCodec,
} from './wire/failure.js';
export type { Failure } from './wire/failure.js';
export { RecentIds } from './wire/recent-ids.js';
export { uuidHex } from './wire/ids.js';
export * as amqpDialect from './wire/amqp-dialect.js';
export type { ReplyAddress, RpcRoute } from './wire/amqp-dialect.js';

// Building blocks of notifier drivers and servers
export { sanitizeNotificationContext, pythonTimestamp } from './notify/notifier.js';
export { isPriority } from './notify/priorities.js';
export { formatPythonDatetime } from './serializer.js';
export { RPCDispatcher } from './rpc/dispatcher.js';
export { NotificationDispatcher, endpointPriorities } from './notify/dispatcher.js';
export { versionIsCompatible, assertVersion } from './version.js';
