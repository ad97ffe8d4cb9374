/**
 * `@oslo-messaging/opentelemetry`: OpenTelemetry spans and metrics for RPC calls, casts, server
 * dispatch, notifications and notification handling, with the trace context carried inside the
 * message context so one trace spans client and server.
 *
 * @packageDocumentation
 */
export {
  OsloMessagingInstrumentation,
  TracedRPCClient,
  TracingSerializer,
  messagingSystem,
} from './instrumentation.js';
export type { InstrumentationOptions } from './instrumentation.js';
export { injectTraceContext, extractTraceContext, TRACEPARENT_KEY, TRACESTATE_KEY } from './trace-context.js';
