/**
 * The oslo.metrics client (Python: `oslo_messaging._metrics.client.MetricsCollectorClient`, 18.1): RPC
 * client metrics buffered in memory and sent, one JSON datagram each, to the oslo.metrics exporter's
 * unix socket by a send loop that retries every second while the exporter is away.
 */
import type { Logger } from '@oslo-messaging/core';
import type { MetricsCollector, RpcClientInvocation } from '@oslo-messaging/core/spi';
import { metricToJson, type LabelValue, type Metric, type MetricAction } from './metric.js';
import type { MetricsOptions } from './options.js';
import type { DatagramConnect, DatagramSocket } from './socket.js';

/** The module oslo.messaging's metrics are registered under in the exporter. */
export const METRICS_MODULE = 'oslo_messaging';

/** The RPC client metrics (the exporter prefixes them with `oslo_messaging_`). */
export const RPC_CLIENT_METRICS = {
  start: 'rpc_client_invocation_start_total',
  end: 'rpc_client_invocation_end_total',
  seconds: 'rpc_client_processing_seconds',
  exception: 'rpc_client_exception_total',
} as const;

const INC: MetricAction = Object.freeze({ action: 'inc', value: null });
/** Metrics sent per event-loop turn before yielding, so a full buffer never stalls the loop. */
const SEND_BATCH = 256;
/** Upstream's pause after a failed send. */
const RETRY_MS = 1000;
/** How long a send may wait for a full receiver queue to drain before it counts as failed. */
const CONGESTION_MS = 1000;

/** Options of {@link OsloMetricsClient} besides `[oslo_messaging_metrics]`. */
export interface OsloMetricsClientOptions {
  readonly logger: Logger;
  /** Opens the datagram socket (default: unix-dgram's). */
  readonly connect: DatagramConnect;
  /** Longest time {@link OsloMetricsClient.close} spends flushing (ms); default `min(metrics_thread_stop_timeout, 2 s)`. */
  readonly closeTimeoutMs?: number | undefined;
}

/** The class name of what a call rejected with (Python: `ex.__class__.__name__`). */
export function exceptionClassName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === 'string' && ctor.name !== '' && ctor.name !== 'Object') return ctor.name;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'Exception';
}

/**
 * RPC client metrics to oslo.metrics. {@link OsloMetricsClient.clientInvocation} only builds the
 * metric and queues it (no I/O, never throws); the send loop runs on later event-loop turns.
 */
export class OsloMetricsClient implements MetricsCollector {
  readonly #logger: Logger;
  readonly #connect: DatagramConnect;
  readonly #path: string;
  readonly #process: string;
  readonly #max: number;
  readonly #stopTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #queue: Metric[] = [];
  #head = 0;
  /** Upstream's `next_send_metric`: taken from the queue, not sent yet. */
  #next: Metric | undefined;
  #socket: DatagramSocket | undefined;
  /** `idle`: no loop (upstream: thread not alive); `running`: a turn is scheduled; `waiting`: a retry or drain is awaited. */
  #state: 'idle' | 'running' | 'waiting' = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Upstream's `stoptime`: the loop gives up retrying after this (ms since epoch). */
  #stopAt = 0;
  #dropped = 0;
  #lastDropped: Metric | undefined;
  /** The queue's size when the last metric was dropped. */
  #droppedAt = 0;
  #dropReport: NodeJS.Immediate | undefined;
  #closing: Promise<void> | undefined;
  #sent = 0;

  constructor(options: MetricsOptions, client: OsloMetricsClientOptions) {
    this.#logger = client.logger;
    this.#connect = client.connect;
    this.#path = options.metrics_socket_file;
    this.#process = options.metrics_process_name;
    this.#max = options.metrics_buffer_size;
    this.#stopTimeoutMs = Math.max(0, options.metrics_thread_stop_timeout) * 1000;
    this.#closeTimeoutMs = client.closeTimeoutMs ?? Math.min(this.#stopTimeoutMs, 2000);
  }

  /** Metrics queued and not sent yet. */
  get pending(): number {
    return this.#queue.length - this.#head + (this.#next ? 1 : 0);
  }

  /** Metrics sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /**
   * A call or cast starts: queues `rpc_client_invocation_start_total`; the returned function queues,
   * on success, `rpc_client_processing_seconds` then `rpc_client_invocation_end_total`, on failure
   * `rpc_client_exception_total` with the error's class name (as oslo.messaging 18.1's `measure_metrics`).
   */
  clientInvocation(invocation: RpcClientInvocation): (error: unknown) => void {
    if (this.#closing) return () => {};
    const t = invocation.target;
    // Labels in upstream's order; `timeout` is None in upstream's metrics (measure_metrics never passes it).
    const labels: Record<string, LabelValue> = {
      call_type: invocation.callType,
      exchange: t.exchange ?? null,
      topic: t.topic ?? null,
      namespace: t.namespace ?? null,
      version: t.version ?? null,
      server: t.server ?? null,
      fanout: t.fanout ?? null,
      method: invocation.method,
      timeout: null,
      process: this.#process,
    };
    this.#put(RPC_CLIENT_METRICS.start, INC, labels);
    const started = performance.now();
    let settled = false;
    return (error: unknown) => {
      if (settled) return;
      settled = true;
      if (error === undefined) {
        this.#put(
          RPC_CLIENT_METRICS.seconds,
          { action: 'observe', value: (performance.now() - started) / 1000 },
          labels,
        );
        this.#put(RPC_CLIENT_METRICS.end, INC, labels);
      } else {
        const { process, ...rest } = labels;
        this.#put(RPC_CLIENT_METRICS.exception, INC, {
          ...rest,
          exception: exceptionClassName(error),
          process: process ?? this.#process,
        });
      }
    };
  }

  /**
   * Sends what is buffered, then releases the socket. Bounded: it gives up at the first failed send
   * (no exporter) or after `closeTimeoutMs` of a full receiver queue, and logs what it dropped.
   */
  close(): Promise<void> {
    this.#closing ??= this.#flush();
    return this.#closing;
  }

  #put(name: string, action: MetricAction, labels: Readonly<Record<string, LabelValue>>): void {
    if (this.#closing) return;
    const metric: Metric = { module: METRICS_MODULE, name, action, labels };
    if (this.#max > 0 && this.#queue.length - this.#head >= this.#max) {
      this.#dropped++;
      this.#lastDropped = metric;
      this.#droppedAt = this.#queue.length - this.#head;
      // The warning is written on a later turn: logging is I/O, and the call path does none.
      this.#dropReport ??= setImmediate(() => this.#reportDrops()).unref();
    } else {
      this.#queue.push(metric);
    }
    if (this.#state === 'idle') this.#start();
  }

  #reportDrops(): void {
    this.#dropReport = undefined;
    const n = this.#dropped;
    this.#dropped = 0;
    const last = this.#lastDropped;
    this.#lastDropped = undefined;
    if (n === 0 || !last) return;
    this.#logger.warn(
      `tx queues is already full(${this.#droppedAt}/${this.#max}). Fails to send the metrics(${metricToJson(last)})${n > 1 ? ` and ${n - 1} more` : ''}`,
      { dropped: n, metrics_buffer_size: this.#max },
    );
  }

  #dequeue(): Metric | undefined {
    if (this.#head >= this.#queue.length) {
      if (this.#head > 0) {
        this.#queue = [];
        this.#head = 0;
      }
      return undefined;
    }
    const m = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined as unknown as Metric;
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return m;
  }

  /** Upstream: a new send thread, whose stop time is `metrics_thread_stop_timeout` from now. */
  #start(): void {
    this.#stopAt = Date.now() + this.#stopTimeoutMs;
    this.#schedule();
  }

  #schedule(): void {
    this.#state = 'running';
    this.#immediate = setImmediate(() => this.#turn());
    this.#immediate.unref();
  }

  #releaseSocket(): void {
    const s = this.#socket;
    this.#socket = undefined;
    s?.close();
  }

  /** Sends up to `max` metrics: what stopped it, or the error of the failed send (the metric stays as `#next`). */
  #send(max: number): 'empty' | 'more' | 'congestion' | Error {
    for (let i = 0; i < max; i++) {
      const metric = this.#next ?? this.#dequeue();
      if (!metric) return 'empty';
      this.#next = metric;
      try {
        this.#socket ??= this.#connect(this.#path);
        if (this.#socket.send(Buffer.from(metricToJson(metric), 'utf8')) === 'congestion') return 'congestion';
      } catch (err) {
        this.#releaseSocket();
        return err instanceof Error ? err : new Error(String(err));
      }
      this.#next = undefined;
      this.#sent++;
      this.#stopAt = Date.now() + this.#stopTimeoutMs;
    }
    return 'more';
  }

  /** One turn of the send loop. */
  #turn(): void {
    this.#immediate = undefined;
    if (this.#closing) return;
    const result = this.#send(SEND_BATCH);
    if (result === 'more') return this.#schedule();
    if (result === 'empty') {
      // Nothing to send: the socket is closed (an open one would keep Node.js running) until the next metric.
      this.#releaseSocket();
      this.#state = 'idle';
      return;
    }
    this.#state = 'waiting';
    if (result === 'congestion') {
      let done = false;
      const go = (failed: boolean) => {
        if (done || this.#closing) return;
        done = true;
        clearTimeout(this.#timer);
        if (failed)
          this.#failed(
            new Error(`the receiver at ${this.#path} took nothing for ${CONGESTION_MS / 1000} s (its queue is full)`),
          );
        else this.#schedule();
      };
      this.#socket?.onWritable(() => go(false));
      this.#timer = setTimeout(() => go(true), CONGESTION_MS).unref();
      return;
    }
    this.#failed(result);
  }

  /** Upstream: log, sleep 1 s, and go on only while the stop time has not passed. */
  #failed(err: Error): void {
    this.#releaseSocket();
    this.#logger.error(`Failed to send metrics: ${err.message}. Wait 1 second for next try.`, {
      err,
      metrics_socket_file: this.#path,
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closing) return;
      if (Date.now() >= this.#stopAt) {
        // The loop ends; what is left is sent when the next metric restarts it.
        this.#state = 'idle';
        return;
      }
      this.#schedule();
    }, RETRY_MS).unref();
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    if (this.#dropReport) {
      clearImmediate(this.#dropReport);
      this.#reportDrops();
    }
    const deadline = Date.now() + this.#closeTimeoutMs;
    try {
      for (;;) {
        const result = this.#send(Number.POSITIVE_INFINITY);
        if (result === 'empty') return;
        if (result === 'more') continue;
        if (result === 'congestion') {
          const socket = this.#socket;
          const left = deadline - Date.now();
          const writable =
            socket !== undefined &&
            left > 0 &&
            (await new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(false), left);
              socket.onWritable(() => {
                clearTimeout(t);
                resolve(true);
              });
            }));
          if (writable) continue;
          this.#logger.warn(
            `Dropping ${this.pending} metrics at close: the receiver at ${this.#path} took nothing for ${this.#closeTimeoutMs / 1000} s`,
          );
          return;
        }
        this.#logger.warn(`Dropping ${this.pending} metrics at close: ${result.message}`, {
          metrics_socket_file: this.#path,
        });
        return;
      }
    } finally {
      this.#releaseSocket();
      this.#queue = [];
      this.#head = 0;
      this.#next = undefined;
      this.#state = 'idle';
    }
  }
}
