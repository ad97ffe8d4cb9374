/** How long a call waits for its reply; see {@link ReplyRegistry.wait}. Times in seconds, as in oslo. */
export interface ReplyWaitOptions {
  /** When the caller stops waiting, `Date.now()` milliseconds (the send's `deadline`); wins over `timeout`. */
  readonly deadline?: number | undefined;
  /** Seconds to wait when there is no `deadline` (default: core's `rpc_response_timeout` default, 60). */
  readonly timeout?: number | undefined;
  /** Fail the call when no heartbeat or reply comes for this many seconds (oslo's `call_monitor_timeout`). */
  readonly callMonitorTimeout?: number | undefined;
  /** Aborted when the caller gives up (the send's `signal`): the call is dropped and rejected with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The calls of one transport that wait for their replies, keyed by message id (oslo's `_msg_id`).
 * Core makes one per transport and gives it to the driver as `DriverContext.replies`; it owns
 * the timing (overall deadline, call-monitor timer restarted by heartbeats, the caller giving up) and
 * rejects every waiting call when the transport is cleaned up. A driver only registers a call before
 * sending it and reports what arrives: a result, a failure or a heartbeat.
 *
 * @example
 * ```ts
 * // sending a call
 * const reply = ctx.replies.wait(msgId, options);
 * await publish(request);          // a failure to send: ctx.replies.fail(msgId, err)
 * return reply;
 * // when a reply arrives on the wire
 * if (failure) ctx.replies.fail(msgId, failure);   // oslo's failure JSON: rebuilt as the remote error
 * else if (final) ctx.replies.resolve(msgId, result);
 * else ctx.replies.heartbeat(msgId);
 * ```
 */
export interface ReplyRegistry {
  /** Calls waiting now. */
  readonly size: number;
  /**
   * Registers a call before its request is sent. Resolves with the result; rejects with the remote
   * error, `MessagingTimeout` (deadline, timeout, or call monitor), or the signal's reason. Never
   * becomes an unhandled rejection if the driver drops the promise. `explainTimeout`, asked when the
   * overall deadline strikes, may give a more useful message ("no server took the call").
   *
   * With the send options core gave the driver, return this promise itself from `send` (not a promise
   * chained on it, unless the result must be transformed): core then settles the caller from the
   * waiter directly, without a reaction per call.
   */
  wait(msgId: string, options: ReplyWaitOptions, explainTimeout?: () => string | undefined): Promise<unknown>;
  /** The final reply of `msgId`: its caller resolves with `result`. `false` (and a log line) if nobody waits for it. */
  resolve(msgId: string, result: unknown): boolean;
  /**
   * `msgId` failed: an `Error` (e.g. the request could not be sent) rejects its caller as it is; anything else
   * is oslo's serialized failure (JSON string or object) and is rebuilt as the remote error first.
   * `false` if nobody waits for it.
   */
  fail(msgId: string, failure: unknown): boolean;
  /** A call-monitor heartbeat of `msgId`: its call-monitor timer starts again. `false` if nobody waits for it. */
  heartbeat(msgId: string): boolean;
  /** Whether a call with this id is waiting (to refuse replies nobody waits for). */
  has(msgId: string): boolean;
}
