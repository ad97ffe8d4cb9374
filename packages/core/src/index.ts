/**
 * `@oslo-messaging/core`: oslo.messaging's RPC and notification APIs, Target, transport URLs,
 * and the SPIs (driver, executor, notifier driver, matchmaker) with their plugin registry.
 *
 * @packageDocumentation
 */
import './wire/core-remote-errors.js';

export {
  ClientSendError, ConfigurationError, DriverLoadFailure, ERROR_CLASSES, ExecutorLoadFailure, ExpectedException,
  InvalidTarget, InvalidTransportURL, MalformedMessage, MessageDeliveryFailure, MessageUndeliverable, MessagingException,
  MessagingServerError, MessagingTimeout, NoSuchMethod, PluginLoadFailure, PreconditionFailed, RemoteError, RPCDispatcherError,
  RPCVersionCapError, ServerListenError, TaskTimeout, TransportDriverError, UnsupportedEnvelopeVersion, UnsupportedVersion,
} from './errors.js';
export { Target, assertSendable, assertRpcListenable, assertNotificationListenable } from './target.js';
export type { TargetFields } from './target.js';
export { TransportURL, unquote } from './transport-url.js';
export type { TransportHost } from './transport-url.js';
export { SPI_VERSION, versionIsCompatible, assertVersion } from './version.js';
export { createConsoleLogger, getDefaultLogger, setDefaultLogger, silentLogger } from './logger.js';
export type { Logger, LogFields, LogLevel } from './logger.js';
export { Transport, getRpcTransport, getNotificationTransport, CLEANUP_LIMIT_MS } from './transport.js';
export type { TransportOptions, TransportConf } from './transport.js';
export { NoOpSerializer, JsonPayloadSerializer, RequestContextSerializer, toPrimitive, formatPythonDatetime } from './serializer.js';
export type { Serializer, RequestContextLike } from './serializer.js';

// RPC
export { RPCClient, getRpcClient } from './rpc/client.js';
export type { RPCClientOptions, PrepareOptions } from './rpc/client.js';
export { RPCServer, getRpcServer } from './rpc/server.js';
export type { RPCServerOptions } from './rpc/server.js';
export { RPCDispatcher } from './rpc/dispatcher.js';
export type { RpcEndpoint, DispatchRequest } from './rpc/dispatcher.js';
export { expose, EXPOSED, DefaultRPCAccessPolicy, ExplicitRPCAccessPolicy, LegacyRPCAccessPolicy } from './rpc/access-policy.js';
export type { RPCAccessPolicy } from './rpc/access-policy.js';
export { expectedExceptions } from './rpc/expected-exceptions.js';
export { typedClient, implementsApi } from './rpc/typed.js';
export type { RpcApi, RpcArgs, RpcResult, TypedClient, TypedCaster, TypedEndpoint } from './rpc/typed.js';
export { MessageHandlingServer, LISTENER_SHUTDOWN_LIMIT_MS } from './server/message-handling-server.js';
export type { ServerOptions, WaitOptions } from './server/message-handling-server.js';
export { DEFAULT_EXECUTOR } from './server/executor-loader.js';

// Notifications
export { Notifier, sanitizeNotificationContext, pythonTimestamp } from './notify/notifier.js';
export type { NotifierOptions } from './notify/notifier.js';
export { NotificationFilter } from './notify/filter.js';
export type { NotificationFilterCriteria } from './notify/filter.js';
export { PRIORITIES, NotificationResult, isPriority } from './notify/priorities.js';
export type { Priority } from './notify/priorities.js';
export { NotificationDispatcher, endpointPriorities } from './notify/dispatcher.js';
export type { NotificationEndpoint, BatchNotificationEndpoint, BatchNotification, NotificationMetadata } from './notify/dispatcher.js';
export { NotificationServer, BatchNotificationServer, getNotificationListener, getBatchNotificationListener } from './notify/listener.js';
export type { NotificationListenerOptions, BatchNotificationListenerOptions } from './notify/listener.js';

// Configuration
export { resolveOptions, convertOption, camelCase, knownOptionNames } from './config/options-resolver.js';
export type { OsloConfig, ConfigValue, OptionSources } from './config/options-resolver.js';
export { loadConfigFiles, parseOsloConfig } from './config/config-files.js';

// Plugins and SPI
export { PluginRegistry, defaultPluginRegistry, registerPlugin, loadPlugin, listPlugins, CORE_VERSION } from './plugins/registry.js';
export type { PluginInfo, PluginSource, PluginRegistryOptions } from './plugins/registry.js';
export { readManifest, MANIFEST_KEY } from './plugins/manifest.js';
export type { ManifestEntry } from './plugins/manifest.js';
export { KNOWN_PACKAGES, candidatePackages } from './plugins/known-packages.js';
export { ENTRY_POINT_GROUPS, ENTRY_POINT_BRAND, brand, readBrand } from './spi/entry-point.js';
export type { EntryPointGroup, EntryPointBrand, Branded } from './spi/entry-point.js';
export { defineDriver, defineExecutor, defineNotifierDriver, defineMatchmaker, defineMetricsCollector } from './spi/define.js';
export { defineOptions } from './spi/options.js';
export type { OptionSchema, OptionSpec, OptionType, ResolvedOptions } from './spi/options.js';
export type {
  Context, Driver, DriverContext, DriverFactory, IncomingMessage, Listener, ListenOptions, NotificationListenOptions,
  NotificationMessage, RemoteErrorCodec, Reply, RpcRequest, SendOptions,
} from './spi/driver.js';
export type { Executor, ExecutorFactory, ExecutorOptions } from './spi/executor.js';
export type { NotifierDriver, NotifierDriverContext, NotifierDriverFactory, NotificationSender } from './spi/notifier.js';
export type { Matchmaker, MatchmakerContext, MatchmakerFactory } from './spi/matchmaker.js';
export type { MetricsCollector, MetricsCollectorFactory, MetricsContext, RpcClientInvocation } from './spi/metrics.js';
export { matchmakerKeys } from './spi/matchmaker.js';

// Wire helpers shared by drivers
export { serializeEnvelope, deserializeEnvelope, ENVELOPE_VERSION } from './wire/envelope.js';
export { packContext, unpackContext } from './wire/context.js';
export type { UnpackedMessage } from './wire/context.js';
export { parseJson, parseJsonBody } from './wire/json.js';
export { ReplyWaiters } from './wire/reply-waiters.js';
export { abortable, abortReason, boundedWait, DEADLINE_SLACK_MS } from './operations.js';
export { serializeRemoteException, deserializeRemoteException, toFailure, registerRemoteErrors, createRemoteErrorCodec } from './wire/failure.js';
export type { Failure, RemoteErrorConstructor } from './wire/failure.js';
export {
  PythonError, ValueError, LookupError, KeyError, IndexError, AttributeError, RuntimeError, NotImplementedError,
  ArithmeticError, ZeroDivisionError, OverflowError, AssertionError, OSError, FileNotFoundError, PermissionError,
  TimeoutError, ConnectionError,
} from './wire/python-errors.js';
