/** OpenTelemetry tracing and metrics for oslo-messaging */
export {};
