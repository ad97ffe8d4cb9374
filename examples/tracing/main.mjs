#!/usr/bin/env node
// One OpenTelemetry trace across a TypeScript client, a Python oslo.messaging hop and a TypeScript server:
//   TS client --call checkout--> Python hop --call reserve--> TS server
// Spans go to OpenTelemetry's ConsoleSpanExporter; the end prints the trace as a tree.
// Needs RabbitMQ on 127.0.0.1:5672 (or TRANSPORT_URL) and python3 with oslo.messaging.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, ConsoleSpanExporter, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getRpcClient, getRpcServer, getRpcTransport, Target } from '@oslo-messaging/core';
import { OsloMessagingInstrumentation } from '@oslo-messaging/opentelemetry';

const url = process.env.TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const collected = new InMemorySpanExporter(); // only to print the tree at the end
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter()), new SimpleSpanProcessor(collected)] });
const otel = new OsloMessagingInstrumentation({ tracerProvider: provider });
const tracer = provider.getTracer('tracing-example');

// Topics of this run's own, so that concurrent runs never answer each other.
const frontend = `shop-frontend-${process.pid}`;
const backendTarget = new Target({ topic: `shop-backend-${process.pid}`, server: 'ts-backend' });

// The TypeScript server (its own transport, as if it were another process).
const serverTransport = await getRpcTransport({ url });
const server = getRpcServer(serverTransport, backendTarget, otel.instrumentEndpoints(serverTransport, backendTarget, [{
  reserve: (_ctxt, { sku, count }) => tracer.startActiveSpan('reserve stock', (span) => {
    span.setAttribute('shop.sku', sku);
    span.end();
    return { sku, count, warehouse: 'w-3' };
  }),
}]));
await server.start();

// The Python hop.
const hop = spawn(process.env.PYTHON ?? '/usr/bin/python3', [fileURLToPath(new URL('./python_hop.py', import.meta.url)), '--url', url, '--frontend', frontend, '--backend', backendTarget.topic], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  hop.once('exit', (code) => reject(new Error(`python_hop.py exited with ${code}`)));
  createInterface({ input: hop.stdout }).on('line', (line) => (line === 'ready' ? resolve() : console.log(line)));
});

// The TypeScript client: a root span around an instrumented call.
const clientTransport = await getRpcTransport({ url });
const client = otel.instrumentClient(getRpcClient(clientTransport, { topic: frontend }, { timeout: 15 }));
const order = await tracer.startActiveSpan('place order', async (span) => {
  try {
    return await client.call({ user_id: 'alice', request_id: 'req-7' }, 'checkout', { sku: 'bolt', count: 3 });
  } finally {
    span.end();
  }
});
console.log(`client: order ${JSON.stringify(order)}`);

hop.stdin.end();
await once(hop, 'exit');
await server.stop();
await server.wait();
await clientTransport.cleanup();
await serverTransport.cleanup();
await provider.forceFlush();

// The trace as a tree: every span shares one trace id; the server's span is a child of the client's call
// span, whose context crossed the Python process inside the oslo context dict.
const spans = collected.getFinishedSpans();
const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
const parentOf = (s) => s.parentSpanContext?.spanId ?? s.parentSpanId;
const kinds = { [SpanKind.INTERNAL]: 'INTERNAL', [SpanKind.CLIENT]: 'CLIENT', [SpanKind.SERVER]: 'SERVER', [SpanKind.PRODUCER]: 'PRODUCER', [SpanKind.CONSUMER]: 'CONSUMER' };
console.log(`trace ${[...traceIds].join(', ')}: ${spans.length} spans`);
const print = (parentId, depth) => {
  for (const s of spans.filter((x) => parentOf(x) === parentId).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])) {
    const via = depth === 2 ? ' (via the Python hop)' : '';
    console.log(`${'  '.repeat(depth)}${s.name} [${kinds[s.kind]}]${via}`);
    print(s.spanContext().spanId, depth + 1);
  }
};
print(undefined, 0);
