import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context as OtelContext,
} from '@opentelemetry/api';

/** Context keys that carry the trace across processes (they travel as `_context_otel_*`; Python peers ignore them). */
export const TRACEPARENT_KEY = 'otel_traceparent';
export const TRACESTATE_KEY = 'otel_tracestate';

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Writes the active span's W3C trace context into a message context dict (and whatever the global propagator adds). */
export function injectTraceContext(
  ctxt: Record<string, unknown>,
  active: OtelContext = otelContext.active(),
): Record<string, unknown> {
  const sc = trace.getSpanContext(active);
  if (!sc || !trace.isSpanContextValid(sc)) return ctxt;
  const out: Record<string, unknown> = {
    ...ctxt,
    [TRACEPARENT_KEY]: `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`,
  };
  const state = sc.traceState?.serialize();
  if (state) out[TRACESTATE_KEY] = state;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  if (carrier['baggage']) out['otel_baggage'] = carrier['baggage'];
  return out;
}

/** Reads a remote parent from a message context dict; returns the root context when there is none. */
export function extractTraceContext(ctxt: unknown): OtelContext {
  if (typeof ctxt !== 'object' || ctxt === null) return ROOT_CONTEXT;
  const c = ctxt as Record<string, unknown>;
  const tp = c[TRACEPARENT_KEY];
  let result = ROOT_CONTEXT;
  if (typeof c['otel_baggage'] === 'string') result = propagation.extract(result, { baggage: c['otel_baggage'] });
  if (typeof tp !== 'string') return result;
  const m = TRACEPARENT_RE.exec(tp);
  if (!m) return result;
  return trace.setSpanContext(result, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16),
    isRemote: true,
  });
}
