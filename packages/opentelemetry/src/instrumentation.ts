import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  context as otelContext,
  type Meter,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
  type Span,
  type Attributes,
} from '@opentelemetry/api';
import {
  NoOpSerializer,
  PRIORITIES,
  RPCClient,
  type Context,
  type NotificationEndpoint,
  type Notifier,
  type PrepareOptions,
  type RpcEndpoint,
  type RPCClientOptions,
  type Serializer,
  type Target,
  type Transport,
} from '@oslo-messaging/core';
import { extractTraceContext, injectTraceContext } from './trace-context.js';

const NAME = '@oslo-messaging/opentelemetry';
const VERSION = '0.1.0';

/** `messaging.system` for a transport driver. */
export function messagingSystem(transport: Transport): string {
  const d = transport.url.driver;
  return d === 'rabbit' || d === 'kombu' ? 'rabbitmq' : d === 'amqp' ? 'amqp1' : d === 'zmq' ? 'zeromq' : d;
}

/** Options of {@link OsloMessagingInstrumentation}. */
export interface InstrumentationOptions {
  /** Default: the global tracer provider. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Default: the global meter provider. */
  readonly meterProvider?: MeterProvider | undefined;
}

/** A serializer that injects the active trace context into every outgoing message context. */
export class TracingSerializer<Ctxt = Context> implements Serializer<Ctxt> {
  constructor(readonly base: Serializer<Ctxt> = new NoOpSerializer() as unknown as Serializer<Ctxt>) {}
  serializeEntity(ctxt: Ctxt, entity: unknown): unknown {
    return this.base.serializeEntity(ctxt, entity);
  }
  deserializeEntity(ctxt: Ctxt, entity: unknown): unknown {
    return this.base.deserializeEntity(ctxt, entity);
  }
  serializeContext(ctxt: Ctxt): Context {
    const dict = this.base.serializeContext(ctxt) as Context | Promise<Context>;
    return (dict instanceof Promise ? dict.then((d) => injectTraceContext(d)) : injectTraceContext(dict)) as Context;
  }
  deserializeContext(ctxt: Context): Ctxt {
    return this.base.deserializeContext(ctxt);
  }
}

/**
 * Spans and metrics for oslo-messaging, following OpenTelemetry's messaging semantic conventions.
 * The trace context travels inside the message context, so one trace spans client and server,
 * across processes and drivers; Python peers carry the extra keys along harmlessly.
 */
export class OsloMessagingInstrumentation {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly #calls;
  readonly #errors;
  readonly #duration;
  readonly #dispatches;
  readonly #dispatchDuration;

  constructor(options: InstrumentationOptions = {}) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(NAME, VERSION);
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(NAME, VERSION);
    this.#calls = this.meter.createCounter('oslo_messaging.client.requests', {
      description: 'RPC calls and casts sent',
    });
    this.#errors = this.meter.createCounter('oslo_messaging.client.errors', {
      description: 'RPC calls and casts that failed',
    });
    this.#duration = this.meter.createHistogram('oslo_messaging.client.duration', {
      unit: 's',
      description: 'Duration of RPC calls and casts',
    });
    this.#dispatches = this.meter.createCounter('oslo_messaging.server.dispatches', {
      description: 'Messages dispatched to endpoints',
    });
    this.#dispatchDuration = this.meter.createHistogram('oslo_messaging.server.duration', {
      unit: 's',
      description: 'Duration of endpoint methods',
    });
  }

  /** Runs `work` inside a span, recording errors, duration and counts. */
  async #traced<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    parent: ReturnType<typeof otelContext.active>,
    work: (span: Span) => Promise<T>,
    client: boolean,
  ): Promise<T> {
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    const started = performance.now();
    try {
      return await otelContext.with(trace.setSpan(parent, span), () => work(span));
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      span.setAttribute('error.type', (err as Error)?.name ?? 'Error');
      if (client) this.#errors.add(1, attributes);
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      if (client) {
        this.#calls.add(1, attributes);
        this.#duration.record(seconds, attributes);
      } else {
        this.#dispatches.add(1, attributes);
        this.#dispatchDuration.record(seconds, attributes);
      }
      span.end();
    }
  }

  /** An RPC client whose calls and casts are traced and carry the trace context. */
  instrumentClient<Ctxt>(client: RPCClient<Ctxt>): RPCClient<Ctxt> {
    return new TracedRPCClient<Ctxt>(client.transport, client.target, client.options, this);
  }

  /** @internal */
  traceSend<T>(
    client: RPCClient<unknown>,
    operation: 'call' | 'cast',
    method: string,
    work: () => Promise<T>,
  ): Promise<T> {
    // The driver names the destination (a queue, an exchange, a subject): no copy of its naming rules here.
    const dest = client.transport.destinationName(client.target);
    const attributes: Attributes = {
      'messaging.system': messagingSystem(client.transport),
      'messaging.destination.name': dest,
      'messaging.operation.type': 'send',
      'messaging.operation.name': operation,
      'rpc.system': 'oslo_messaging',
      'rpc.method': method,
      ...(client.target.namespace ? { 'rpc.service': client.target.namespace } : {}),
    };
    return this.#traced(
      `${operation} ${dest}`,
      operation === 'call' ? SpanKind.CLIENT : SpanKind.PRODUCER,
      attributes,
      otelContext.active(),
      () => work(),
      true,
    );
  }

  /**
   * RPC endpoints whose methods run in a span whose parent is the caller's span (from the message
   * context). Pass the result to `getRpcServer`.
   */
  instrumentEndpoints<E extends RpcEndpoint>(transport: Transport, target: Target, endpoints: readonly E[]): E[] {
    const system = messagingSystem(transport);
    const inst = this;
    return endpoints.map((endpoint) =>
      wrapMethods(
        endpoint,
        (method, fn) =>
          function (this: unknown, ctxt: unknown, args: unknown) {
            const attributes: Attributes = {
              'messaging.system': system,
              'messaging.destination.name': String(target.topic),
              'messaging.operation.type': 'process',
              'messaging.operation.name': 'dispatch',
              'rpc.system': 'oslo_messaging',
              'rpc.method': method,
            };
            const kind =
              (ctxt as Record<string, unknown> | null)?.['client_timeout'] !== undefined
                ? SpanKind.SERVER
                : SpanKind.CONSUMER;
            return inst.#traced(
              `process ${String(target.topic)}`,
              kind,
              attributes,
              extractTraceContext(ctxt),
              async () => fn.call(this, ctxt, args),
              false,
            );
          },
      ),
    );
  }

  /**
   * A notifier whose sends are traced; plain-object contexts get the trace context added (for
   * context objects, give the notifier a {@link TracingSerializer}).
   */
  instrumentNotifier<Ctxt>(notifier: Notifier<Ctxt>, transport?: Transport): Notifier<Ctxt> {
    const inst = this;
    return new Proxy(notifier, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        const priority = typeof prop === 'string' ? (prop === 'warning' ? 'warn' : prop) : '';
        if (typeof value !== 'function') return value;
        if (prop === 'prepare')
          return (...a: unknown[]) =>
            inst.instrumentNotifier((value as (...x: unknown[]) => Notifier<Ctxt>).apply(target, a), transport);
        if (!(PRIORITIES as readonly string[]).includes(priority))
          return (value as (...x: unknown[]) => unknown).bind(target);
        return (ctxt: Ctxt, eventType: string, payload: unknown) => {
          const attributes: Attributes = {
            'messaging.system': transport ? messagingSystem(transport) : 'oslo_messaging',
            'messaging.destination.name': eventType,
            'messaging.operation.type': 'send',
            'messaging.operation.name': 'notify',
            'oslo_messaging.notification.priority': priority,
          };
          return inst.#traced(
            `notify ${eventType}`,
            SpanKind.PRODUCER,
            attributes,
            otelContext.active(),
            async () => {
              const withTrace = isPlainObject(ctxt) ? (injectTraceContext(ctxt) as Ctxt) : ctxt;
              return (value as (c: Ctxt, e: string, p: unknown) => Promise<void>).call(
                target,
                withTrace,
                eventType,
                payload,
              );
            },
            true,
          );
        };
      },
    });
  }

  /** Notification endpoints whose handlers run in a span linked to the sender's trace. */
  instrumentNotificationEndpoints<E extends NotificationEndpoint>(
    endpoints: readonly E[],
    system = 'oslo_messaging',
  ): E[] {
    const inst = this;
    const priorities = new Set<string>(PRIORITIES);
    return endpoints.map((endpoint) =>
      wrapMethods(endpoint, (method, fn) => {
        if (!priorities.has(method)) return fn;
        return function (
          this: unknown,
          ctxt: unknown,
          publisherId: unknown,
          eventType: unknown,
          payload: unknown,
          metadata: unknown,
        ) {
          const attributes: Attributes = {
            'messaging.system': system,
            'messaging.destination.name': String(eventType),
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'handle',
            'oslo_messaging.notification.priority': method,
            ...(metadata && typeof (metadata as Record<string, unknown>)['message_id'] === 'string'
              ? { 'messaging.message.id': (metadata as Record<string, string>)['message_id'] }
              : {}),
          };
          return inst.#traced(
            `process ${String(eventType)}`,
            SpanKind.CONSUMER,
            attributes,
            extractTraceContext(ctxt),
            async () => fn.call(this, ctxt, publisherId, eventType, payload, metadata),
            false,
          );
        };
      }),
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
  );
}

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** A proxy of `endpoint` whose function members are replaced by `wrap(name, fn)` (cached, symbols kept). */
function wrapMethods<E extends object>(endpoint: E, wrap: (name: string, fn: AnyMethod) => AnyMethod): E {
  const cache = new Map<string, AnyMethod>();
  return new Proxy(endpoint, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof value !== 'function' || prop === 'constructor') return value;
      let w = cache.get(prop);
      if (!w) {
        const original = value as AnyMethod;
        w = wrap(prop, original);
        for (const sym of Object.getOwnPropertySymbols(original))
          Object.defineProperty(w, sym, { value: (original as unknown as Record<symbol, unknown>)[sym] });
        cache.set(prop, w);
      }
      return w;
    },
  });
}

/** An RPC client that traces its calls and casts and sends the trace context. */
export class TracedRPCClient<Ctxt = Context> extends RPCClient<Ctxt> {
  readonly #inst: OsloMessagingInstrumentation;
  constructor(
    transport: Transport,
    target: Target,
    options: RPCClientOptions<Ctxt>,
    instrumentation: OsloMessagingInstrumentation,
  ) {
    const serializer =
      options.serializer instanceof TracingSerializer
        ? options.serializer
        : new TracingSerializer<Ctxt>(options.serializer);
    super(transport, target, { ...options, serializer });
    this.#inst = instrumentation;
  }
  override prepare(overrides: PrepareOptions = {}): TracedRPCClient<Ctxt> {
    const p = super.prepare(overrides);
    return new TracedRPCClient<Ctxt>(p.transport, p.target, p.options, this.#inst);
  }
  override call<R = unknown>(ctxt: Ctxt, method: string, args: Record<string, unknown> = {}): Promise<R> {
    return this.#inst.traceSend(this as RPCClient<unknown>, 'call', method, () => super.call<R>(ctxt, method, args));
  }
  override cast(ctxt: Ctxt, method: string, args: Record<string, unknown> = {}): Promise<void> {
    return this.#inst.traceSend(this as RPCClient<unknown>, 'cast', method, () => super.cast(ctxt, method, args));
  }
}
