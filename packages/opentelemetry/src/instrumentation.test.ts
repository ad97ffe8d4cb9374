import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  Notifier,
  silentLogger,
  Target,
  PythonErrors,
} from '@oslo-messaging/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OsloMessagingInstrumentation } from './index.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function setupTracing() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const inst = new OsloMessagingInstrumentation({ tracerProvider, meterProvider });
  return { exporter, reader, inst };
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('OpenTelemetry instrumentation over the in-memory driver', () => {
  const { exporter, reader, inst } = setupTracing();
  beforeEach(() => exporter.reset());

  it('one trace spans client and server for a call, with messaging attributes and metrics', async () => {
    const transport = await getRpcTransport({ url: `fake:///otel-${Date.now()}`, logger: silentLogger });
    const target = new Target({ topic: 'traced', server: 'a' });
    const server = getRpcServer(
      transport,
      target,
      inst.instrumentEndpoints(transport, target, [
        {
          add: (_c: unknown, a: { x: number; y: number }) => a.x + a.y,
          fail: () => {
            throw new PythonErrors.ValueError('no');
          },
        },
      ]),
    );
    await server.start();
    const client = inst.instrumentClient(getRpcClient(transport, { topic: 'traced' }, { timeout: 5 }));
    expect(await client.call({ user_id: 'u' }, 'add', { x: 1, y: 2 })).toBe(3);
    await expect(client.prepare({ server: 'a' }).call({}, 'fail')).rejects.toBeInstanceOf(PythonErrors.ValueError);
    await server.stop();
    await server.wait();
    await transport.cleanup();

    const spans = exporter.getFinishedSpans();
    const clientSpan = spans.find((s) => s.name === 'call traced')!;
    const serverSpan = spans.find((s) => s.name === 'process traced' && s.attributes['rpc.method'] === 'add')!;
    expect(clientSpan.kind).toBe(SpanKind.CLIENT);
    expect(serverSpan.kind).toBe(SpanKind.SERVER);
    expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.attributes).toMatchObject({
      'messaging.system': 'fake',
      'messaging.destination.name': 'traced',
      'messaging.operation.name': 'call',
      'rpc.method': 'add',
    });
    const failed = spans.find((s) => s.name === 'call traced.a')!;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['error.type']).toBe('ValueError');

    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(
      expect.arrayContaining([
        'oslo_messaging.client.requests',
        'oslo_messaging.client.errors',
        'oslo_messaging.client.duration',
        'oslo_messaging.server.duration',
      ]),
    );
  });

  it('links a notification handler to the notifier span', async () => {
    const transport = await getNotificationTransport({ url: `fake:///otel-n-${Date.now()}`, logger: silentLogger });
    let handled!: () => void;
    const done = new Promise<void>((r) => (handled = r));
    const listener = getNotificationListener(
      transport,
      [{ topic: 'notifications' }],
      inst.instrumentNotificationEndpoints([{ info: () => handled() }], 'fake'),
    );
    await listener.start();
    const real = inst.instrumentNotifier(
      new Notifier(transport, { publisherId: 'p', topics: ['notifications'] }),
      transport,
    );
    await real.info({ user_id: 'u' }, 'thing.happened', { n: 1 });
    await done;
    await listener.stop();
    await listener.wait();
    await transport.cleanup();
    const spans = exporter.getFinishedSpans();
    const producer = spans.find((s) => s.name === 'notify thing.happened')!;
    const consumer = spans.find((s) => s.name === 'process thing.happened')!;
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.attributes['messaging.message.id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
