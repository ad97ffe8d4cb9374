#!/usr/bin/env node
// The TypeScript server of the tracing example, in a process of its own: `reserve` on topic <topic>.
// Its spans go to OpenTelemetry's ConsoleSpanExporter, and one `span {json}` line each for main.mjs's tree.
// Prints "ready" once it listens; stops when its standard input closes.
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getRpcServer, getRpcTransport, Target } from '@oslo-messaging/core';
import { OsloMessagingInstrumentation } from '@oslo-messaging/opentelemetry';

const [topic] = process.argv.slice(2);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
/** Hands each finished span to main.mjs as one JSON line. */
const lineExporter = {
  export(spans, done) {
    for (const s of spans) {
      const { traceId, spanId } = s.spanContext();
      console.log(
        `span ${JSON.stringify({ name: s.name, kind: s.kind, traceId, spanId, parentSpanId: s.parentSpanContext?.spanId, start: s.startTime })}`,
      );
    }
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter()), new SimpleSpanProcessor(lineExporter)],
});
const otel = new OsloMessagingInstrumentation({ tracerProvider: provider });
const tracer = provider.getTracer('tracing-example-server');

const transport = await getRpcTransport({ url: process.env.TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/' });
const target = new Target({ topic, server: 'ts-backend' });
const server = getRpcServer(
  transport,
  target,
  otel.instrumentEndpoints(transport, target, [
    {
      reserve: (_ctxt, { sku, count }) =>
        tracer.startActiveSpan('reserve stock', (span) => {
          span.setAttribute('shop.sku', sku);
          span.end();
          return { sku, count, warehouse: 'w-3' };
        }),
    },
  ]),
);
await server.start();
console.log('ready');

process.stdin.resume();
process.stdin.on('end', async () => {
  await server.stop();
  await server.wait();
  await transport.cleanup();
  await provider.forceFlush();
  process.exit(0);
});
