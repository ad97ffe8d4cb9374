import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getRpcClient, getRpcServer, getRpcTransport, silentLogger, Target } from '@oslo-messaging/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPeer,
  DEBIAN_PEER,
  pythonPeers,
  upstreamPeer,
  type OsloPeer,
} from '../../../test-fixtures/oslo-peer/python-peer.js';
import { OsloMessagingInstrumentation } from './index.js';

const RABBIT_URL = process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('OpenTelemetry over the real RabbitMQ driver', () => {
  it('one trace spans a client process side and the server side of a call', async () => {
    const exporter = new InMemorySpanExporter();
    const inst = new OsloMessagingInstrumentation({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    });
    // Two transports: the client and the server do not share a connection, as in two processes.
    const serverTransport = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    const clientTransport = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
    const topic = `otel_${Math.random().toString(36).slice(2)}`;
    const target = new Target({ topic, server: 'srv' });
    const server = getRpcServer(
      serverTransport,
      target,
      inst.instrumentEndpoints(serverTransport, target, [{ echo: (_c: unknown, a: { v: unknown }) => a.v }]),
    );
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

/** The Python hop against both peers: Debian's 14.0.3 and upstream's 18.1.0 (a missing or broken 18.1 fails, never skips). */
const PEERS: ReadonlyArray<{ label: string; version: string; prepare: () => Promise<OsloPeer> }> = [
  { label: DEBIAN_PEER.label, version: DEBIAN_PEER.version, prepare: async () => DEBIAN_PEER },
  { label: 'oslo.messaging 18.1.0 (upstream)', version: '18.1.0', prepare: upstreamPeer },
];

describe.each(PEERS)('OpenTelemetry across a Python $label hop over RabbitMQ', ({ version, prepare }) => {
  it(`a Python ${version} server answers traced calls and just carries the trace keys in its context`, async () => {
    const oslo = await prepare();
    expect((await checkPeer(oslo)).version).toBe(version);
    const peers = pythonPeers(RABBIT_URL, oslo);
    const inst = new OsloMessagingInstrumentation({
      tracerProvider: new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
      }),
    });
    const topic = `otel_py_${Math.random().toString(36).slice(2)}`;
    try {
      const server = peers.peer(['serve', '--topic', topic, '--server', 'py']);
      await server.until((l) => l.some((x) => x['ready']), 'the Python server');
      expect(server.reported()?.version).toBe(version);
      const t = await getRpcTransport({ url: RABBIT_URL, logger: silentLogger });
      try {
        const client = inst.instrumentClient(getRpcClient(t, { topic, version: '1.1' }, { timeout: 15 }));
        expect(await client.call({ user_id: 'u' }, 'echo', { payload: 'traced' })).toBe('traced');
        const ctxt = await client.call<Record<string, unknown>>({ user_id: 'u' }, 'context');
        expect(ctxt['user_id']).toBe('u');
        expect(String(ctxt['otel_traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      } finally {
        await t.cleanup();
      }
    } finally {
      peers.killAll();
    }
  }, 60_000);
});
