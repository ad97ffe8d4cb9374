#!/usr/bin/env node
// One OpenTelemetry trace across three processes: a TypeScript client, a Python oslo.messaging hop and a
// TypeScript server:   TS client --call checkout--> Python hop --call reserve--> TS server (server.mjs)
// Each TypeScript process prints its spans with OpenTelemetry's ConsoleSpanExporter; the end prints the whole
// trace as a tree. Needs RabbitMQ on 127.0.0.1:5672 (or TRANSPORT_URL) and python3 with oslo.messaging.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { getRpcClient, getRpcTransport } from '@oslo-messaging/core';
import { OsloMessagingInstrumentation } from '@oslo-messaging/opentelemetry';

const url = process.env.TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const collected = new InMemorySpanExporter(); // only to print the tree at the end
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter()), new SimpleSpanProcessor(collected)],
});
const otel = new OsloMessagingInstrumentation({ tracerProvider: provider });
const tracer = provider.getTracer('tracing-example');

// Topics of this run's own, so that concurrent runs never answer each other.
const frontend = `shop-frontend-${process.pid}`;
const backend = `shop-backend-${process.pid}`;
const here = (file) => fileURLToPath(new URL(`./${file}`, import.meta.url));

/** Starts a peer process, echoing its output; resolves once it prints "ready". `span` lines are collected. */
const remoteSpans = [];
async function startPeer(command, args) {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('span ')) remoteSpans.push(JSON.parse(line.slice(5)));
      else console.log(line);
    });
  });
  return proc;
}
const server = await startPeer(process.execPath, [here('server.mjs'), backend]);
const hop = await startPeer(process.env.PYTHON ?? '/usr/bin/python3', [
  here('python_hop.py'),
  '--url',
  url,
  '--frontend',
  frontend,
  '--backend',
  backend,
]);

// The TypeScript client: a root span around an instrumented call.
const transport = await getRpcTransport({ url });
const client = otel.instrumentClient(getRpcClient(transport, { topic: frontend }, { timeout: 15 }));
const order = await tracer.startActiveSpan('place order', async (span) => {
  try {
    return await client.call({ user_id: 'alice', request_id: 'req-7' }, 'checkout', { sku: 'bolt', count: 3 });
  } finally {
    span.end();
  }
});
console.log(`client: order ${JSON.stringify(order)}`);
await transport.cleanup();
for (const proc of [hop, server]) {
  proc.stdin.end();
  await once(proc, 'exit');
}
await provider.forceFlush();

// The trace as a tree: every span shares one trace id; the server's span is a child of the client's call
// span, whose context crossed the Python process inside the oslo context dict.
const spans = [
  ...collected.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    ...s.spanContext(),
    parentSpanId: s.parentSpanContext?.spanId,
    start: s.startTime,
    where: 'client',
  })),
  ...remoteSpans.map((s) => ({ ...s, where: 'server process' })),
];
const traceIds = new Set(spans.map((s) => s.traceId));
const kinds = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};
console.log(`trace ${[...traceIds].join(', ')}: ${spans.length} spans`);
const print = (parentId, depth) => {
  for (const s of spans
    .filter((x) => x.parentSpanId === parentId)
    .sort((a, b) => a.start[0] - b.start[0] || a.start[1] - b.start[1])) {
    const via = depth === 2 ? ', via the Python hop' : '';
    console.log(`${'  '.repeat(depth)}${s.name} [${kinds[s.kind]}] (${s.where}${via})`);
    print(s.spanId, depth + 1);
  }
};
print(undefined, 0);
