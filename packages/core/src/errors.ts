/**
 * The public error classes of oslo-messaging. Names mirror Python's oslo.messaging exceptions.
 *
 * Every class carries a stable `code` and a brand, so `instanceof` works even when two copies of
 * `@oslo-messaging/core` are loaded (a plugin built against its own copy, say): the check falls
 * back to the brand list stamped on each instance.
 *
 * @packageDocumentation
 */

const KINDS = Symbol.for('oslo.messaging.errorKinds');

type Branded = { [KINDS]?: readonly string[] };

/** Base of every error raised by this library (Python: `MessagingException`). */
export class MessagingException extends Error {
  /** Stable machine-readable code, e.g. `OSLO_MESSAGING_TIMEOUT`. */
  static readonly code: string = 'OSLO_MESSAGING_EXCEPTION';
  /** This error's class code (the static `code` of its class), e.g. `OSLO_MESSAGING_TIMEOUT`. */
  readonly code: string;
  /** @internal The codes of the class and its ancestors: the brand `instanceof` checks across copies of core. */
  declare readonly [KINDS]: readonly string[];

  /**
   * @param message - the error message
   * @param options - `cause`: the underlying error, if any
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const ctor = new.target as unknown as { code: string; name: string };
    this.name = ctor.name;
    this.code = ctor.code;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      const code = (c as { code?: string }).code;
      if (code !== undefined && !kinds.includes(code)) kinds.push(code);
    }
    Object.defineProperty(this, KINDS, { value: Object.freeze(kinds), enumerable: false });
  }

  /**
   * `instanceof` for this class: the prototype chain, else the brand stamped on errors made by another copy
   * of core (only for classes with a `code` of their own).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // Only classes with a code of their own are branded; a user subclass without one would otherwise match its parent's errors.
    if (!Object.prototype.hasOwnProperty.call(this, 'code')) return false;
    const kinds = (value as Branded | null | undefined)?.[KINDS];
    return Array.isArray(kinds) && kinds.includes((this as unknown as { code: string }).code);
  }

  /** Brand check that works across copies of core; same as `instanceof`. */
  static is<T extends typeof MessagingException>(this: T, value: unknown): value is InstanceType<T> {
    return value instanceof this;
  }
}

/** A call did not get its reply in time (or the call monitor saw no heartbeat). */
export class MessagingTimeout extends MessagingException {
  static override readonly code: string = 'OSLO_MESSAGING_TIMEOUT';
}

/** Sending failed after the allowed number of retries. */
export class MessageDeliveryFailure extends MessagingException {
  static override readonly code: string = 'OSLO_MESSAGE_DELIVERY_FAILURE';
}

/** The broker returned a mandatory message that no queue could take. */
export class MessageUndeliverable extends MessagingException {
  static override readonly code: string = 'OSLO_MESSAGE_UNDELIVERABLE';
  constructor(
    message: string,
    /** The exchange the message was published to (`''` for the default exchange). */
    readonly exchange: string,
    /** Its routing key (topic, `topic.server` or a reply queue). */
    readonly routingKey: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A target lacks what the operation needs (Python: `InvalidTarget`, message `msg: target`). */
export class InvalidTarget extends MessagingException {
  static override readonly code: string = 'OSLO_INVALID_TARGET';
  constructor(
    message: string,
    /** The target that was refused. */
    readonly target: unknown,
  ) {
    super(`${message}: ${String(target)}`);
  }
}

/** A transport URL could not be parsed. */
export class InvalidTransportURL extends MessagingException {
  static override readonly code: string = 'OSLO_INVALID_TRANSPORT_URL';
  constructor(
    /** The URL as given (its passwords are masked in the message, not here). */
    readonly url: unknown,
    /** What is wrong with it. */
    readonly reason: string,
  ) {
    super(`Invalid transport URL ${maskUrlForMessage(url)}: ${reason}`);
  }
}

/** Configuration that cannot work (unknown option, wrong type, conflicting options). */
export class ConfigurationError extends MessagingException {
  static override readonly code: string = 'OSLO_CONFIGURATION_ERROR';
}

/** A plugin could not be found, loaded or accepted. */
export class PluginLoadFailure extends MessagingException {
  static override readonly code: string = 'OSLO_PLUGIN_LOAD_FAILURE';
  constructor(
    message: string,
    /** The entry-point group, e.g. `oslo.messaging.drivers`. */
    readonly group: string,
    /** The plugin's name in that group, e.g. `rabbit`. */
    readonly pluginName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transport driver could not be loaded (Python: `DriverLoadFailure`). */
export class DriverLoadFailure extends PluginLoadFailure {
  static override readonly code: string = 'OSLO_DRIVER_LOAD_FAILURE';
}

/** Base of server-side errors (Python: `MessagingServerError`). */
export class MessagingServerError extends MessagingException {
  static override readonly code: string = 'OSLO_MESSAGING_SERVER_ERROR';
}

/** An executor could not be loaded. */
export class ExecutorLoadFailure extends MessagingServerError {
  static override readonly code: string = 'OSLO_EXECUTOR_LOAD_FAILURE';
  constructor(
    message: string,
    /** The executor's name, e.g. `pool`. */
    readonly executor: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The driver could not start listening on a target. */
export class ServerListenError extends MessagingServerError {
  static override readonly code: string = 'OSLO_SERVER_LISTEN_ERROR';
  constructor(
    message: string,
    /** The server's target. */
    readonly target: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Base of dispatcher errors. */
export class RPCDispatcherError extends MessagingServerError {
  static override readonly code: string = 'OSLO_RPC_DISPATCHER_ERROR';
}

/** No endpoint implements the method (at a compatible version and namespace). */
export class NoSuchMethod extends RPCDispatcherError {
  static override readonly code: string = 'OSLO_NO_SUCH_METHOD';
  constructor(
    /** The method the request named. */
    readonly method: string,
  ) {
    super(`Endpoint does not support RPC method ${method}`);
  }
}

/** No endpoint supports the requested namespace/version. */
export class UnsupportedVersion extends RPCDispatcherError {
  static override readonly code: string = 'OSLO_UNSUPPORTED_VERSION';
  constructor(
    /** The version the request asked for. */
    readonly version: string,
    /** The method the request named. */
    readonly method?: string,
  ) {
    super(`Endpoint does not support RPC version ${version}. Attempted method: ${method ?? 'None'}`);
  }
}

/** The driver failed while sending (Python: `ClientSendError`). */
export class ClientSendError extends MessagingException {
  static override readonly code: string = 'OSLO_CLIENT_SEND_ERROR';
  constructor(
    /** The target of the call or cast. */
    readonly target: unknown,
    cause: unknown,
  ) {
    super(`Failed to send to target "${String(target)}": ${describe(cause)}`, { cause });
  }
}

/** The message's version is above the client's version cap. */
export class RPCVersionCapError extends MessagingException {
  static override readonly code: string = 'OSLO_RPC_VERSION_CAP_ERROR';
  constructor(
    /** The version the message asked for. */
    readonly version: string | undefined,
    /** The client's `versionCap`. */
    readonly versionCap: string,
  ) {
    super(
      `Requested message version, ${version ?? 'None'} is incompatible. It needs to be equal in major version and less than or equal in minor version as the specified version cap ${versionCap}.`,
    );
  }
}

/** A driver-level failure (connection lost, channel closed); drivers wrap library errors in it. */
export class TransportDriverError extends MessagingException {
  static override readonly code: string = 'OSLO_TRANSPORT_DRIVER_ERROR';
}

/**
 * The broker refused to declare a queue or exchange because one of that name exists with other
 * settings (RabbitMQ `PRECONDITION_FAILED`, e.g. durable vs not, quorum vs classic): another service
 * declared it first with another configuration. Retrying cannot help; align the configurations or
 * delete the old queue/exchange.
 */
export class PreconditionFailed extends MessagingException {
  static override readonly code: string = 'OSLO_PRECONDITION_FAILED';
}

/** A stop/wait took longer than the timeout the caller gave. */
export class TaskTimeout extends MessagingServerError {
  static override readonly code: string = 'OSLO_TASK_TIMEOUT';
}

/**
 * An error raised by the remote endpoint that is not re-created locally.
 * `excType` is the remote class name, `value` its message, `traceback` its traceback lines.
 */
export class RemoteError extends MessagingException {
  static override readonly code: string = 'OSLO_REMOTE_ERROR';
  constructor(
    /** The remote error's class name, e.g. `NoValidHost`. */
    readonly excType: string,
    /** Its message. */
    readonly value: string,
    /** The remote traceback, as text. */
    readonly traceback: string,
    /** The remote class's module, e.g. `nova.exception`, when the failure named one. */
    readonly module?: string,
  ) {
    super(`Remote error: ${excType} ${value}\n${traceback}.`);
  }
}

/**
 * Wraps an error an endpoint declared as expected (Python: `ExpectedException`): the server logs it
 * at debug level only, and the caller still receives the original error.
 */
export class ExpectedException extends MessagingException {
  static override readonly code: string = 'OSLO_EXPECTED_EXCEPTION';
  constructor(
    /** The error the endpoint raised. */
    readonly original: unknown,
  ) {
    super(describe(original), { cause: original });
  }
}

/** A message or envelope on the wire is malformed. */
export class MalformedMessage extends MessagingException {
  static override readonly code: string = 'OSLO_MALFORMED_MESSAGE';
}

/** The message's envelope version is not one we understand (Python: `UnsupportedRpcEnvelopeVersion`). */
export class UnsupportedEnvelopeVersion extends MalformedMessage {
  static override readonly code: string = 'OSLO_UNSUPPORTED_ENVELOPE_VERSION';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Masks the password of every host (between a host's first `:` and its last `@`), even in URLs that do not parse. */
function maskUrlForMessage(url: unknown): string {
  if (typeof url !== 'string') return `(${typeof url})`;
  const start = url.indexOf('://');
  if (start < 0) return JSON.stringify(url);
  const q = url.indexOf('?', start);
  const end = q < 0 ? url.length : q;
  const hosts = url
    .slice(start + 3, end)
    .split(',')
    .map((h) => {
      const at = h.lastIndexOf('@');
      const colon = h.indexOf(':');
      return colon >= 0 && colon < at ? `${h.slice(0, colon)}:****${h.slice(at)}` : h;
    });
  return JSON.stringify(url.slice(0, start + 3) + hosts.join(',') + url.slice(end));
}

/** Every public error class, for documentation and the errors test. */
export const ERROR_CLASSES = [
  MessagingException,
  MessagingTimeout,
  MessageDeliveryFailure,
  MessageUndeliverable,
  InvalidTarget,
  InvalidTransportURL,
  ConfigurationError,
  PluginLoadFailure,
  DriverLoadFailure,
  MessagingServerError,
  ExecutorLoadFailure,
  ServerListenError,
  RPCDispatcherError,
  NoSuchMethod,
  UnsupportedVersion,
  ClientSendError,
  RPCVersionCapError,
  TransportDriverError,
  PreconditionFailed,
  TaskTimeout,
  RemoteError,
  ExpectedException,
  MalformedMessage,
  UnsupportedEnvelopeVersion,
] as const;
