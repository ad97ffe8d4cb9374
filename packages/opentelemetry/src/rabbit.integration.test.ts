import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger, Target } from '@oslo-messaging/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OsloMessagingInstrumentation } from './index.js';

const URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('OpenTelemetry over the real RabbitMQ driver', () => {
  it('one trace spans a client process side and the server side of a call', async () => {
    const exporter = new InMemorySpanExporter();
    const inst = new OsloMessagingInstrumentation({ tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
    // Two transports: the client and the server do not share a connection, as in two processes.
    const serverTransport = await getRpcTransport({ url: URL, logger: silentLogger });
    const clientTransport = await getRpcTransport({ url: URL, logger: silentLogger });
    const topic = `otel_${Math.random().toString(36).slice(2)}`;
    const target = new Target({ topic, server: 'srv' });
    const server = getRpcServer(serverTransport, target, inst.instrumentEndpoints(serverTransport, target, [{ echo: (_c: unknown, a: { v: unknown }) => a.v }]));
    try {
      await server.start();
      const client = inst.instrumentClient(getRpcClient(clientTransport, { topic }, { timeout: 10 }));
      expect(await client.call({ user_id: 'u' }, 'echo', { v: 42 })).toBe(42);
    } finally {
      await server.stop();
      await server.wait();
      await clientTransport.cleanup();
      await serverTransport.cleanup();
    }
    const spans = exporter.getFinishedSpans();
    const c = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const s = spans.find((x) => x.kind === SpanKind.SERVER)!;
    expect(c.attributes['messaging.system']).toBe('rabbitmq');
    expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
    expect(s.parentSpanContext?.spanId).toBe(c.spanContext().spanId);
  });
});
