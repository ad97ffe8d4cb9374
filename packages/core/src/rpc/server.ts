import { ExpectedException, MessageUndeliverable, NoSuchMethod } from '../errors.js';
import type { Serializer } from '../serializer.js';
import { MessageHandlingServer, type ServerOptions } from '../server/message-handling-server.js';
import { isThenable, RESOLVED } from '../maybe-async.js';
import type { Context, IncomingMessage, Listener, Reply } from '../spi/driver.js';
import { assertRpcListenable, Target, type TargetFields } from '../target.js';
import type { Transport } from '../transport.js';
import type { RPCAccessPolicy } from './access-policy.js';
import { RPCDispatcher, type RpcEndpoint } from './dispatcher.js';

/** Options of {@link getRpcServer}. */
export interface RPCServerOptions<Ctxt = Context> extends ServerOptions {
  /** Rebuilds arguments and the context, serializes results (default {@link NoOpSerializer}). */
  readonly serializer?: Serializer<Ctxt> | undefined;
  /** Which methods may be invoked (default: {@link DefaultRPCAccessPolicy}). */
  readonly accessPolicy?: RPCAccessPolicy | undefined;
  /** Broker prefetch for this server's consumers (drivers that support it). */
  readonly prefetch?: number | undefined;
}

const PING_METHOD = 'oslo_rpc_server_ping';
const NOTHING = (): void => {};

/** Serves RPC requests on a target (Python: `RPCServer`). Create with {@link getRpcServer}. */
export class RPCServer<Ctxt = Context> extends MessageHandlingServer {
  /** The server's target: topic and server name (and optionally exchange). */
  readonly target: Target;
  /** Routes each request to the endpoint serving its namespace, version and method. */
  readonly dispatcher: RPCDispatcher;
  readonly #prefetch: number | undefined;

  /** @throws {@link InvalidTarget} when the target lacks a topic or a server name */
  constructor(
    transport: Transport,
    target: Target | TargetFields,
    endpoints: readonly RpcEndpoint[],
    options: RPCServerOptions<Ctxt> = {},
  ) {
    super(transport, options);
    this.target = Target.from(target);
    assertRpcListenable(this.target);
    this.#prefetch = options.prefetch;
    const all = [...endpoints];
    if (transport.conf.rpcPingEnabled) {
      if (endpoints.some((e) => typeof (e as Record<string, unknown>)[PING_METHOD] === 'function')) {
        transport.logger.warn(`An endpoint already defines ${PING_METHOD}; not adding the ping endpoint`);
      } else {
        all.push({ [PING_METHOD]: () => 'pong' });
      }
    }
    this.dispatcher = new RPCDispatcher(all, options.serializer, options.accessPolicy);
  }

  protected createListener(): Promise<Listener> {
    return this.transport.driver.listen(this.target, { prefetch: this.#prefetch });
  }

  /**
   * Acknowledges, dispatches and replies. Synchronous up to the reply while the endpoint and the
   * serializer return plain values (no promise or reaction per request then); the promise settles
   * once the reply is handed to the driver, and never rejects.
   */
  protected processIncoming(incoming: IncomingMessage): Promise<void> {
    // oslo acknowledges RPC requests before dispatch: at-most-once delivery. As in oslo, the dispatch
    // does not wait for the acknowledgement to be confirmed; a failure to acknowledge is logged.
    try {
      const acked = incoming.acknowledge();
      if (acked !== RESOLVED) acked.then(undefined, this.#ackFailed);
    } catch (err) {
      this.#ackFailed(err);
    }
    // oslo's servers see the caller's call-monitor timeout in the context, whatever the driver.
    incoming.ctxt['client_timeout'] = incoming.clientTimeout ?? null;
    const stopHeartbeat = this.#startCallMonitorHeartbeat(incoming);
    let result: unknown;
    try {
      result = this.dispatcher.invoke(incoming);
    } catch (err) {
      stopHeartbeat();
      return this.#reply(incoming, this.#failure(incoming, err));
    }
    if (isThenable(result)) return this.#replyWhenDone(incoming, result, stopHeartbeat);
    stopHeartbeat();
    return this.#reply(incoming, { result });
  }

  async #replyWhenDone(
    incoming: IncomingMessage,
    pending: PromiseLike<unknown>,
    stopHeartbeat: () => void,
  ): Promise<void> {
    let reply: Reply;
    try {
      reply = { result: await pending };
    } catch (err) {
      reply = this.#failure(incoming, err);
    } finally {
      stopHeartbeat();
    }
    return this.#reply(incoming, reply);
  }

  /** The failure reply for `err`, logged as oslo does (expected exceptions at debug level). */
  #failure(incoming: IncomingMessage, err: unknown): Reply {
    const method = String(incoming.message['method']);
    if (err instanceof ExpectedException) {
      this.logger.debug('Expected exception during message handling', { method, err: err.original });
      return { failure: err.original };
    }
    if (err instanceof NoSuchMethod && method.endsWith('_ignore_errors'))
      this.logger.debug('Exception during message handling', { method, err });
    else this.logger.error('Exception during message handling', { method, err });
    return { failure: err };
  }

  /** Hands `reply` to the driver (unless the transport was cleaned up meanwhile); never rejects. */
  #reply(incoming: IncomingMessage, reply: Reply): Promise<void> {
    if (this.transport.cleanedUp) {
      this.logger.warn(
        `Dropping the reply to ${String(incoming.message['method'])}: the transport was cleaned up while it ran`,
      );
      return RESOLVED;
    }
    let sent: Promise<void>;
    try {
      sent = incoming.reply(reply);
    } catch (err) {
      this.#logReplyFailure(err);
      return RESOLVED;
    }
    // The task ends here; wait() waits for the broker's confirm of the reply, but not for ever.
    return this.handOffBrokerWork(sent);
  }

  readonly #ackFailed = (err: unknown): void => {
    this.logger.warn('Failed to acknowledge an RPC request', { err });
  };

  /** A reply the driver failed to send. */
  protected override brokerWorkFailed(err: unknown): void {
    this.#logReplyFailure(err);
  }

  #logReplyFailure(err: unknown): void {
    if (err instanceof MessageUndeliverable)
      this.logger.warn('The reply to an RPC request could not be delivered: the caller is gone', { err });
    else this.logger.error('Failed to send an RPC reply', { err });
  }

  /** While an endpoint runs, sends heartbeats every `trunc(clientTimeout)/2` s to a caller that asked for them. */
  #startCallMonitorHeartbeat(incoming: IncomingMessage): () => void {
    const ct = incoming.clientTimeout;
    if (!ct) return NOTHING;
    const interval = Math.trunc(ct) / 2;
    if (interval < 1) {
      this.logger.warn('Client provided an invalid timeout value of ' + String(ct));
      return NOTHING;
    }
    const timer = setInterval(() => {
      // A server whose transport is gone is gone for its callers too: they must see the silence.
      if (this.transport.cleanedUp) return clearInterval(timer);
      incoming.heartbeat().catch((err: unknown) => {
        this.logger.warn('Failed to send a call-monitor heartbeat; stopping heartbeats for this call', { err });
        clearInterval(timer);
      });
    }, interval * 1000);
    return () => clearInterval(timer);
  }
}

/**
 * Creates an RPC server for `target` (with `topic` and `server`) serving `endpoints` (Python: `get_rpc_server`).
 * An endpoint is an object whose methods take `(ctxt, args)`; its optional `target` gives the `namespace` and
 * `version` it serves. The server listens on the topic (shared with other servers), on `topic.server` and on the
 * topic's fanout, once started.
 *
 * @example
 * ```ts
 * class ComputeManager {
 *   target = { version: '6.2' };
 *   get_console_output(ctxt: Context, { instance }: { instance: string }) {
 *     return `console of ${instance}`;
 *   }
 * }
 * const transport = await getRpcTransport({ url: 'rabbit://guest:guest@127.0.0.1:5672/', controlExchange: 'nova' });
 * const server = getRpcServer(transport, { topic: 'compute', server: 'host1' }, [new ComputeManager()], { executor: 'pool' });
 * await server.start();
 * // ... on shutdown:
 * await server.stop();
 * await server.wait();
 * ```
 *
 * @param transport - an RPC transport ({@link getRpcTransport})
 * @param target - `topic` and `server` (the host name, as in oslo)
 * @param endpoints - the objects serving requests, tried in order
 * @param options - executor, serializer, accessPolicy, prefetch
 * @throws {@link InvalidTarget} when the target lacks a topic or a server name
 */
export function getRpcServer<Ctxt = Context>(
  transport: Transport,
  target: Target | TargetFields,
  endpoints: readonly RpcEndpoint[],
  options: RPCServerOptions<Ctxt> = {},
): RPCServer<Ctxt> {
  return new RPCServer<Ctxt>(transport, target, endpoints, options);
}
