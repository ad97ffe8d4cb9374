/**
 * `@oslo-messaging/core`: oslo.messaging's application API: transports, RPC clients and servers,
 * notifiers and notification listeners, Target, configuration, serializers and the public errors.
 * Plugin authors (drivers, executors, notifier drivers, matchmakers) import from
 * `@oslo-messaging/core/spi` too.
 *
 * @packageDocumentation
 */
import './wire/core-remote-errors.js';

// Errors
export {
  ClientSendError,
  ConfigurationError,
  DriverLoadFailure,
  ExecutorLoadFailure,
  ExpectedException,
  InvalidTarget,
  InvalidTransportURL,
  MalformedMessage,
  MessageDeliveryFailure,
  MessageUndeliverable,
  MessagingException,
  MessagingServerError,
  MessagingTimeout,
  NoSuchMethod,
  PluginLoadFailure,
  PreconditionFailed,
  RemoteError,
  RPCDispatcherError,
  RPCVersionCapError,
  ServerListenError,
  TaskTimeout,
  TransportDriverError,
  UnsupportedEnvelopeVersion,
  UnsupportedVersion,
} from './errors.js';
export * as PythonErrors from './wire/python-errors.js';
export { registerRemoteErrors } from './wire/failure.js';
export type { RemoteErrorConstructor } from './wire/failure.js';

// Transports, targets, URLs
export { Target } from './target.js';
export type { TargetFields } from './target.js';
export { TransportURL } from './transport-url.js';
export type { TransportHost } from './transport-url.js';
export { Transport, getRpcTransport, getNotificationTransport } from './transport.js';
export type { TransportOptions, TransportConf } from './transport.js';
export type { Context } from './spi/driver.js';

// Logging and serialization
export { createConsoleLogger, getDefaultLogger, setDefaultLogger, silentLogger } from './logger.js';
export type { Logger, LogFields, LogLevel } from './logger.js';
export { NoOpSerializer, JsonPayloadSerializer, RequestContextSerializer, toPrimitive } from './serializer.js';
export type { Serializer, RequestContextLike } from './serializer.js';

// RPC
export { RPCClient, getRpcClient } from './rpc/client.js';
export type { RPCClientOptions, PrepareOptions, RpcInvoker } from './rpc/client-api.js';
export { RPCServer, getRpcServer } from './rpc/server.js';
export type { RPCServerOptions } from './rpc/server.js';
export type { RpcEndpoint, DispatchRequest } from './rpc/dispatcher.js';
export { expose, DefaultRPCAccessPolicy, ExplicitRPCAccessPolicy, LegacyRPCAccessPolicy } from './rpc/access-policy.js';
export type { RPCAccessPolicy } from './rpc/access-policy.js';
export { expectedExceptions } from './rpc/expected-exceptions.js';
export { typedClient, implementsApi } from './rpc/typed.js';
export type { RpcApi, RpcArgs, RpcResult, TypedClient, TypedCaster, TypedEndpoint } from './rpc/typed.js';
export { MessageHandlingServer } from './server/message-handling-server.js';
export type { ServerOptions, WaitOptions } from './server/message-handling-server.js';

// Notifications
export { Notifier } from './notify/notifier.js';
export type { NotifierOptions } from './notify/notifier.js';
export { NotificationFilter } from './notify/filter.js';
export type { NotificationFilterCriteria } from './notify/filter.js';
export { PRIORITIES, NotificationResult } from './notify/priorities.js';
export type { Priority } from './notify/priorities.js';
export type {
  NotificationEndpoint,
  BatchNotificationEndpoint,
  BatchNotification,
  NotificationMetadata,
} from './notify/dispatcher.js';
export {
  NotificationServer,
  BatchNotificationServer,
  getNotificationListener,
  getBatchNotificationListener,
} from './notify/listener.js';
export type { NotificationListenerOptions, BatchNotificationListenerOptions } from './notify/listener.js';

// Configuration and plugins
export { loadConfigFiles, parseOsloConfig } from './config/config-files.js';
export type { OsloConfig, ConfigValue } from './config/options-resolver.js';
export { PluginRegistry, registerPlugin, listPlugins } from './plugins/registry.js';
export type { PluginInfo, PluginSource, PluginRegistryOptions } from './plugins/registry.js';
