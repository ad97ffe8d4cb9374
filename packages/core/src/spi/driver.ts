import type { Logger } from '../logger.js';
import type { Target } from '../target.js';
import type { TransportURL } from '../transport-url.js';
import type { OptionSchema, ResolvedOptions } from './options.js';
import type { EntryPointGroup } from './entry-point.js';
import type { ReplyRegistry } from './replies.js';
import type { PluginOf } from './plugin-types.js';

/** A request context as it travels: a plain JSON object (oslo's `ctxt` dict). */
export type Context = Record<string, unknown>;

/** The RPC request a client sends: `{method, args[, namespace][, version]}` as on oslo's wire. */
export interface RpcRequest {
  /** The endpoint method to invoke. */
  readonly method: string;
  /** Its keyword arguments. */
  readonly args: Record<string, unknown>;
  /** The target's namespace, when it has one. */
  readonly namespace?: string;
  /** The requested API version (`major.minor`), when the target has one. */
  readonly version?: string;
}

/** The notification body built by the notifier (oslo's field names). */
export interface NotificationMessage {
  /** A UUID, unique per notification. */
  readonly message_id: string;
  /** Who sent it, e.g. `compute.host1`. */
  readonly publisher_id: string;
  /** What happened, e.g. `compute.instance.create.end`. */
  readonly event_type: string;
  /** Upper case: `INFO`, `ERROR`, ... */
  readonly priority: string;
  /** The notification's body (JSON). */
  readonly payload: unknown;
  /** `YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC, as Python's `str(utcnow())`. */
  readonly timestamp: string;
}

/** How to send an RPC request. Times are in seconds, as in oslo. */
export interface SendOptions {
  /** `true` for call (resolve with the reply), `false` for cast. */
  readonly waitForReply: boolean;
  /** Call timeout in seconds; also the message's time-to-live in the queue. Absent for casts. */
  readonly timeout?: number | undefined;
  /** Fail the call if the server sends no heartbeat for this many seconds (oslo `call_monitor_timeout`). */
  readonly callMonitorTimeout?: number | undefined;
  /** Send retries: `null`/`undefined`/negative = forever, `0` = one attempt, `N` = N retries. */
  readonly retry?: number | null | undefined;
  /** Fail at once with `MessageUndeliverable` if no queue takes the message (oslo `at_least_once`). */
  readonly atLeastOnce?: boolean | undefined;
  /**
   * When the caller stops waiting: `Date.now()` milliseconds. Set for calls (start + timeout) and
   * for casts given a timeout. Time spent (re)connecting counts against it. Core settles the
   * caller's promise by then whatever the driver does; the driver should stop working on the
   * message by then too.
   */
  readonly deadline?: number | undefined;
  /**
   * Aborted when the caller gives up on this message: its deadline passed or the transport was
   * cleaned up (`signal.reason` says which). A driver stops waiting for a connection or for link
   * credit, stops retrying, drops the message if it was not sent yet, and forgets the reply it
   * waited for. The driver's own promise is ignored after that (core has already settled the caller).
   * An accessor that creates the signal on first read: read it from the options given (a copy made
   * with `{ ...options }` does not carry it).
   */
  readonly signal?: AbortSignal | undefined;
}

/** How to send a notification. */
export interface NotificationSendOptions {
  /** The format: 1 (oslo's `messaging` notifier driver: bare JSON) or 2 (`messagingv2`: in oslo's envelope). */
  readonly version: 1 | 2;
  /** Send retries, as {@link SendOptions.retry}: `null`/`undefined`/negative = forever, `0` = one attempt. */
  readonly retry?: number | null | undefined;
  /**
   * Aborted when the transport is cleaned up: stop waiting for a connection, stop retrying, drop the
   * notification if not sent yet. Created the first time it is read (most sends never need it): an
   * accessor, so read it from the options given (a copy made with `{ ...options }` does not carry it).
   */
  readonly signal?: AbortSignal | undefined;
}

/** What a server replies: a result, or a failure (an error object the driver serializes). */
export type Reply =
  | {
      /** The endpoint's return value. */
      readonly result: unknown;
      /** Absent: the call succeeded. */
      readonly failure?: undefined;
    }
  | {
      /** Absent: the call failed. */
      readonly result?: undefined;
      /** The error the endpoint raised; the driver serializes it with {@link DriverContext.remoteErrors}. */
      readonly failure: unknown;
    };

/**
 * One message handed by a driver to a server. The driver has already decoded the wire format:
 * `message` is the RPC request (`method`, `args`, ...) or the notification dict, and `ctxt` the
 * unpacked context. Build one with {@link DriverContext.incoming} (or implement it on a class of
 * your own where a message must be cheap). Core owns `ctxt` from then on: an RPC server adds oslo's
 * `client_timeout` to it (from `clientTimeout`) before dispatching.
 */
export interface IncomingMessage {
  /** The unpacked request context (the `_context_*` keys of oslo's AMQP drivers). */
  readonly ctxt: Context;
  /** The RPC request (`method`, `args`, `namespace`, `version`) or the notification dict. */
  readonly message: Readonly<Record<string, unknown>>;
  /** The caller's call-monitor timeout in seconds, when it asked for heartbeats. */
  readonly clientTimeout?: number | null | undefined;
  /** Sends the reply of a call; a no-op for casts. Never throws for a caller that went away: logs instead. */
  reply(reply: Reply): Promise<void>;
  /** Sends a call-monitor heartbeat (an empty, non-final reply); a no-op for casts. */
  heartbeat(): Promise<void>;
  /** Settles the message: it will not be delivered again. */
  acknowledge(): Promise<void>;
  /** Gives the message back to the broker for redelivery. */
  requeue(): Promise<void>;
}

/**
 * What a driver fills in to make an {@link IncomingMessage} with {@link DriverContext.incoming}; what it
 * leaves out does nothing. Its functions are called as its methods, so it may be a class instance (one
 * object per message, no closures).
 */
export interface IncomingMessageInit {
  /** The unpacked request context. */
  readonly ctxt: Context;
  /** The RPC request or the notification dict. */
  readonly message: Readonly<Record<string, unknown>>;
  /** The caller's call-monitor timeout in seconds (RPC calls that asked for heartbeats); default `null`. */
  readonly clientTimeout?: number | null | undefined;
  /** Sends the reply of a call (absent for casts and notifications: replying does nothing). */
  readonly reply?: ((reply: Reply) => Promise<void>) | undefined;
  /** Sends a call-monitor heartbeat (absent: does nothing). */
  readonly heartbeat?: (() => Promise<void>) | undefined;
  /** Settles the message (absent: nothing to settle, e.g. a transport without acknowledgements). */
  readonly acknowledge?: (() => void | Promise<void>) | undefined;
  /** Gives the message back for redelivery (absent: does nothing). */
  readonly requeue?: (() => void | Promise<void>) | undefined;
}

/**
 * Where core hands a listener's messages. It never throws and its promise never rejects: core
 * logs a failing handler once and drops messages that arrive after the transport was cleaned up.
 * The promise resolves when the executor has room for the next message: a driver that can pull at
 * its own pace waits for it; one that cannot ignores it (`void onMessage(m)`).
 */
export type MessageSink = (message: IncomingMessage) => Promise<void>;

/** Receives messages for one server or listener. */
export interface Listener {
  /** Starts consuming and calls `onMessage` for each message; resolves once consuming (the queues exist). */
  start(onMessage: MessageSink): Promise<void>;
  /**
   * Stops consuming; no message is delivered after the promise resolves. Idempotent. A rejection (the
   * connection died under the cancel) is logged by core's server, which goes on stopping: the listener
   * must deliver nothing after it all the same.
   */
  stop(): Promise<void>;
  /** Releases everything (connections, transient queues). Idempotent. A rejection is logged by core's server, which goes on. */
  cleanup(): Promise<void>;
}

/** Options for {@link Driver.listen}. */
export interface ListenOptions {
  /** Broker prefetch hint for the consumer. */
  readonly prefetch?: number | undefined;
}

/** Options for {@link Driver.listenForNotifications}. */
export interface NotificationListenOptions {
  /** Listener pool: listeners of one pool share the messages; each pool gets its own copy. */
  readonly pool?: string | undefined;
}

/**
 * A transport driver: the whole contract between core and a messaging system.
 * Core builds messages, dispatches, serializes with the user's serializer and runs executors;
 * the driver moves messages and owns its wire format.
 */
export interface Driver {
  /**
   * Sends an RPC request. Core calls it only while the transport is open, under the request's
   * deadline (it settles the caller by then whatever the driver does). For a call, resolves with the reply's result or rejects with the remote
   * error (use {@link DriverContext.remoteErrors} to rebuild it), `MessagingTimeout`,
   * `MessageDeliveryFailure` or `MessageUndeliverable`. For a cast, resolves once sent.
   */
  send(target: Target, ctxt: Context, request: RpcRequest, options: SendOptions): Promise<unknown>;
  /** Publishes a notification to `target` (topic = `<topic>.<priority>`), in the format `options.version` says. */
  sendNotification(
    target: Target,
    ctxt: Context,
    message: NotificationMessage,
    options: NotificationSendOptions,
  ): Promise<void>;
  /** Consumes RPC requests for a server target (topic, `topic.server`, and fanout). */
  listen(target: Target, options: ListenOptions): Promise<Listener>;
  /** Consumes notifications for each `[target, priority]` pair. */
  listenForNotifications(
    targetsAndPriorities: ReadonlyArray<readonly [Target, string]>,
    options: NotificationListenOptions,
  ): Promise<Listener>;
  /** Closes every connection. Idempotent. Core has already rejected every call waiting in {@link DriverContext.replies}. */
  cleanup(): Promise<void>;
  /**
   * The name of the place an RPC request for `target` is sent to on this messaging system (a queue,
   * an exchange, a subject), for tracing and logs (OpenTelemetry's `messaging.destination.name`).
   * Optional: core falls back to `topic`, `topic.server`, or `topic_fanout`.
   */
  destinationName?(target: Target): string;
}

/** Turns errors into oslo's failure format and back, honouring `allowedRemoteExmods`. */
export interface RemoteErrorCodec {
  /** oslo's `serialize_remote_exception`: a JSON string with class, module, message, tb, args, kwargs. */
  serialize(error: unknown): string;
  /** oslo's `deserialize_remote_exception`: the failure (JSON string or object) as an Error to throw. */
  deserialize(failure: unknown): Error;
}

/** What core gives a driver factory. */
export interface DriverContext {
  /** The parsed transport URL (hosts, credentials, virtual host, query options). */
  readonly url: TransportURL;
  /** The control exchange (`[DEFAULT] control_exchange`, default `openstack`). */
  readonly defaultExchange: string;
  /** Whether this transport serves RPC or notifications. */
  readonly purpose: 'rpc' | 'notification';
  /** Serializes errors into oslo's failure format and back (honouring `allowedRemoteExmods`). */
  readonly remoteErrors: RemoteErrorCodec;
  /** Where the driver logs. */
  readonly logger: Logger;
  /**
   * The calls of this transport waiting for their replies: register a call with `wait` before
   * sending it, report what arrives with `resolve`, `fail` and `heartbeat`. Core owns the timing and
   * rejects every waiting call when the transport is cleaned up.
   */
  readonly replies: ReplyRegistry;
  /** Builds the {@link IncomingMessage} handed to a listener's `onMessage`; what `init` leaves out does nothing. */
  incoming(init: IncomingMessageInit): IncomingMessage;
  /**
   * Resolves the driver's option group: defaults, then the config file section `group`, then
   * options given in code, then the URL query (which wins, as in oslo). Unknown URL keys and
   * values of the wrong type raise `ConfigurationError`.
   */
  options<S extends OptionSchema>(group: string, schema: S): ResolvedOptions<S>;
  /** Loads another plugin (e.g. the ZeroMQ driver loading its matchmaker), typed by its group. */
  loadPlugin<G extends EntryPointGroup>(group: G, name: string): Promise<PluginOf<G>>;
}

/** The value a driver package exports for the `oslo.messaging.drivers` group. */
export interface DriverFactory {
  /** The name used in messages and `list` output, e.g. `rabbit`. */
  readonly name: string;
  /** The option schema, for documentation and the CLI's option listing. */
  readonly optionGroups?: Readonly<Record<string, OptionSchema>>;
  /** Makes the driver of one transport; a failure becomes `DriverLoadFailure` (a `ConfigurationError` is passed on). */
  create(context: DriverContext): Promise<Driver> | Driver;
}
