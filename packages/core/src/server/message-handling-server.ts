import { MessagingException, ServerListenError, TaskTimeout, TransportDriverError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IncomingMessage, Listener, MessageSink } from '../spi/driver.js';
import type { Executor, ExecutorFactory } from '../spi/executor.js';
import type { Transport } from '../transport.js';
import { createExecutor } from './executor-loader.js';
import { boundedWait } from '../operations.js';
import { RESOLVED } from '../maybe-async.js';

/** How long a server's stop and wait give the driver to stop or release its listener (a frozen broker cannot hold them longer). */
export const LISTENER_SHUTDOWN_LIMIT_MS = 5000;

/** Options every server accepts. */
export interface ServerOptions {
  /** Executor plugin name (`pool`, `threading`, `blocking`, ...) or factory. Default `pool`. */
  readonly executor?: string | ExecutorFactory | undefined;
}

/** Options of {@link MessageHandlingServer.wait} and {@link MessageHandlingServer.stop}. */
export interface WaitOptions {
  /** Give up after this many seconds with `TaskTimeout`. */
  readonly timeout?: number | undefined;
  /** Log "Possible hang" after this many seconds (default 30, 0 disables), as oslo does. */
  readonly logAfter?: number | undefined;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Base of RPC and notification servers: owns the listener and the executor and their lifecycle,
 * with oslo's rules: `start()` twice is ignored with a warning, `stop()` stops consuming,
 * `wait()` lets in-flight work finish and releases the listener, and a waited server can start again.
 */
export abstract class MessageHandlingServer {
  #state: State = 'idle';
  #listener: Listener | undefined;
  #executor: Executor | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #waiting: Promise<void> | undefined;
  #stopRequested: { promise: Promise<void>; resolve: () => void } = deferred();
  /** stop() gave up on a start still in progress; the start undoes itself when it completes. */
  #abandonStart = false;
  /** The listener whose start() is in progress (stop() tells it to stop waiting). */
  #startingListener: Listener | undefined;

  protected constructor(
    /** The transport the server consumes from. */
    readonly transport: Transport,
    /** Its options (executor). */
    protected readonly serverOptions: ServerOptions,
  ) {}

  /** The transport's logger. */
  protected get logger(): Logger {
    return this.transport.logger;
  }

  /** Creates the driver listener for this server. */
  protected abstract createListener(): Promise<Listener>;
  /** Handles one message (RPC: dispatch and reply; notifications: dispatch and ack/requeue). */
  protected abstract processIncoming(message: IncomingMessage): Promise<void>;
  /** Hook for servers that batch: receives each message before the executor. */
  protected onIncoming(message: IncomingMessage, submit: (task: () => Promise<void>) => Promise<void>): Promise<void> {
    return submit(() => this.processIncoming(message));
  }
  /** Hook run after the listener stopped and before the executor drains (flush partial batches). */
  protected async afterListenerStopped(_submit: (task: () => Promise<void>) => Promise<void>): Promise<void> {}

  /** Replies and settlements handed to the driver and still waiting for the broker. */
  #brokerWorkInFlight = 0;
  /** Resolved when {@link #brokerWorkInFlight} falls to 0 (made only while a {@link wait} waits for it). */
  #brokerWorkDrained: { promise: Promise<void>; resolve: () => void } | undefined;

  /**
   * Ends a message's task while its broker work (the reply, the acknowledgement) still waits for the
   * broker: the executor waits for endpoints, which may run as long as they like, while `work` is counted
   * here, and {@link wait} waits for it at most {@link LISTENER_SHUTDOWN_LIMIT_MS}: a reply whose confirm a
   * frozen broker never sends cannot hold it. A failure of `work` goes to {@link brokerWorkFailed}.
   * Returns the (resolved) promise the task ends with.
   */
  protected handOffBrokerWork(work: Promise<void>): Promise<void> {
    if (work === RESOLVED) return RESOLVED;
    this.#brokerWorkInFlight++;
    work.then(this.#brokerWorkEnded, this.#brokerWorkFailedAndEnded);
    return RESOLVED;
  }

  /** Told when broker work handed off with {@link handOffBrokerWork} fails (it is logged there). */
  protected brokerWorkFailed(err: unknown): void {
    this.logger.warn('The broker work of a message failed', { err });
  }

  readonly #brokerWorkEnded = (): void => {
    if (--this.#brokerWorkInFlight > 0) return;
    this.#brokerWorkDrained?.resolve();
    this.#brokerWorkDrained = undefined;
  };

  readonly #brokerWorkFailedAndEnded = (err: unknown): void => {
    this.#brokerWorkEnded();
    this.brokerWorkFailed(err);
  };

  /** Resolves once no broker work is in flight. */
  #brokerWorkDone(): Promise<void> {
    if (this.#brokerWorkInFlight === 0) return RESOLVED;
    return (this.#brokerWorkDrained ??= deferred()).promise;
  }

  /** `true` between a completed start and the next stop. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /**
   * Starts consuming. A second call while running is ignored (with a warning); a stopped server waits
   * for itself, then starts again.
   *
   * @throws {@link ServerListenError} when the driver cannot listen (the cause says why)
   * @throws {@link ExecutorLoadFailure} when the executor is not installed or fails to start
   */
  async start(): Promise<void> {
    if (this.#state === 'starting' || this.#state === 'running') {
      this.logger.warn('The server has already been started. Ignoring the redundant call to start().');
      return this.#starting;
    }
    if (this.#state === 'stopping' || this.#state === 'stopped') await this.wait();
    this.#state = 'starting';
    this.#stopRequested = deferred();
    this.#starting = this.#doStart();
    try {
      await this.#starting;
    } catch (err) {
      this.#abandonStart = false;
      this.#state = 'idle';
      throw err;
    }
    if (this.#abandonStart) {
      // stop() gave up waiting for this start: undo it now that it is done.
      this.#abandonStart = false;
      const listener = this.#listener;
      const executor = this.#executor;
      this.#listener = undefined;
      this.#executor = undefined;
      if (listener) {
        await this.#bounded(listener.stop(), 'stop consuming');
        await this.#bounded(listener.cleanup(), 'release its listener');
      }
      await executor?.shutdown();
      this.#state = 'idle';
      throw new ServerListenError('The server was stopped before it finished starting', undefined);
    }
    this.#state = 'running';
  }

  async #doStart(): Promise<void> {
    if (this.transport.cleanedUp)
      throw new ServerListenError('Failed to listen: the transport was cleaned up', undefined);
    const executor = await createExecutor(this.transport, this.serverOptions.executor);
    let listener: Listener;
    try {
      listener = await this.createListener();
    } catch (err) {
      await executor.shutdown();
      if (err instanceof TransportDriverError || !(err instanceof MessagingException)) {
        throw new ServerListenError(`Failed to listen: ${(err as Error).message}`, undefined, { cause: err });
      }
      throw err;
    }
    const submit = (task: () => Promise<void>) => executor.submit(task);
    this.#startingListener = listener;
    try {
      await listener.start(this.#sink(submit));
    } finally {
      this.#startingListener = undefined;
    }
    this.#executor = executor;
    this.#listener = listener;
  }

  /**
   * What the listener delivers to: the one place that guards every driver's deliveries. A message
   * arriving after the transport was cleaned up is dropped unsettled (the broker gives it to another
   * consumer); a handler that throws or rejects is logged once; the promise never rejects.
   */
  #sink(submit: (task: () => Promise<void>) => Promise<void>): MessageSink {
    const failed = (err: unknown): void => this.logger.error('Message handler failed', { err });
    return (message) => {
      if (this.transport.cleanedUp) return RESOLVED;
      try {
        return this.onIncoming(message, submit).catch(failed);
      } catch (err) {
        failed(err);
        return RESOLVED;
      }
    };
  }

  /** Stops consuming: no new message is dispatched once this resolves. In-flight work goes on. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'starting') {
      // Stopped while starting: the start is given up (it undoes itself when it completes, and rejects).
      // A listener still waiting for its broker is told to stop waiting; core waits no longer than the
      // shutdown limit, so a start blocked on a broker that is down cannot hold stop, wait or cleanup.
      this.#abandonStart = true;
      const pending = this.#startingListener;
      if (pending) void this.#bounded(pending.stop(), 'stop a listener that is starting');
      await boundedWait(
        this.#starting!.then(
          () => true,
          () => true,
        ),
        LISTENER_SHUTDOWN_LIMIT_MS,
        () =>
          this.logger.warn(
            `The server did not finish starting within ${LISTENER_SHUTDOWN_LIMIT_MS / 1000} s; stopping it anyway`,
          ),
      );
      this.#stopRequested.resolve();
      return;
    }
    if (this.#state !== 'running') return this.#stopping;
    this.#state = 'stopping';
    this.#stopping = (async () => {
      if (this.#listener) await this.#bounded(this.#listener.stop(), 'stop consuming');
      const executor = this.#executor;
      if (executor) await this.afterListenerStopped((task) => executor.submit(task));
      this.#state = 'stopped';
      this.#stopRequested.resolve();
    })();
    return this.#stopping;
  }

  /**
   * Waits for `stop()` (from elsewhere, if not yet called), then for in-flight work to finish, then
   * releases the listener. Afterwards the server can be started again.
   *
   * @throws {@link TaskTimeout} when `options.timeout` seconds pass first
   */
  async wait(options: WaitOptions = {}): Promise<void> {
    if (this.#state === 'idle') return this.#waiting;
    if (this.#waiting) return this.#waiting;
    const logAfter = options.logAfter ?? 30;
    const hangTimer =
      logAfter > 0
        ? setTimeout(() => this.logger.warn('Possible hang: wait is waiting for stop to complete'), logAfter * 1000)
        : undefined;
    hangTimer?.unref();
    const work = (async () => {
      await this.#stopRequested.promise;
      await this.#stopping;
      clearTimeout(hangTimer);
      await this.#executor?.shutdown();
      await this.#bounded(this.#brokerWorkDone(), 'finish the replies and acknowledgements in flight');
      if (this.#listener) await this.#bounded(this.#listener.cleanup(), 'release its listener');
      this.#executor = undefined;
      this.#listener = undefined;
      this.#state = 'idle';
    })();
    this.#waiting = work;
    work
      .finally(() => {
        if (this.#waiting === work) this.#waiting = undefined;
      })
      .catch(() => undefined);
    if (options.timeout === undefined) return work;
    return withTimeout(work, options.timeout, 'wait');
  }

  /**
   * A shutdown step of the driver's: waited for at most {@link LISTENER_SHUTDOWN_LIMIT_MS}, and a failure
   * logged, not thrown (a listener whose channel died in an outage has stopped consuming all the same; the
   * server must still reach `stopped` and `idle`, and start again later).
   */
  #bounded(work: Promise<void>, what: string): Promise<void | undefined> {
    const settled = work.catch((err: unknown) =>
      this.logger.warn(
        `The driver failed to ${what}: ${err instanceof Error ? err.message : String(err)}; going on without it`,
      ),
    );
    return boundedWait(settled, LISTENER_SHUTDOWN_LIMIT_MS, () =>
      this.logger.warn(`The driver did not ${what} within ${LISTENER_SHUTDOWN_LIMIT_MS / 1000} s; going on without it`),
    );
  }

  /** A no-op kept for oslo.service compatibility (SIGHUP). */
  reset(): void {}
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function withTimeout(work: Promise<void>, seconds: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(
      () => reject(new TaskTimeout(`Timed out after ${seconds}s waiting for ${what}`)),
      seconds * 1000,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
