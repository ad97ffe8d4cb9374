import { defineOptions } from '@oslo-messaging/core/spi';

/**
 * The `[oslo_messaging_nats]` options. Like every oslo driver option they can be given in an oslo.config
 * file, in code (`driverOptions`) or in the URL query (`nats://127.0.0.1:4222/?nats_ack_wait=10`).
 */
export const NATS_OPTIONS = defineOptions({
  nats_stream: {
    type: 'string',
    default: 'OSLO_MESSAGING',
    help: 'JetStream stream that keeps casts and notifications (created on first use, subjects omjs.>).',
  },
  nats_stream_max_age: {
    type: 'int',
    default: 86_400,
    min: 1,
    help: 'Seconds a stored cast or notification is kept when nobody consumes it.',
  },
  nats_consumer_inactive_threshold: {
    type: 'int',
    default: 3_600,
    min: 1,
    help: 'Seconds a durable consumer (the "queue" of a topic, server or pool) survives without any process attached.',
  },
  nats_ack_wait: {
    type: 'int',
    default: 30,
    min: 1,
    help: 'Seconds before a stored message that was delivered but not acknowledged is delivered again.',
  },
  nats_prefetch: {
    type: 'int',
    default: 64,
    min: 1,
    help: 'Stored messages a consumer holds at once (the default for ListenOptions.prefetch).',
  },
  nats_publish_timeout: {
    type: 'float',
    default: 5,
    min: 0.1,
    help: "Seconds one JetStream publish waits for the server's acknowledgement before it is retried.",
  },
  nats_listen_timeout: {
    type: 'float',
    default: 30,
    min: 0,
    help: 'Seconds server.start() keeps trying while NATS or JetStream is not ready (a server restarting).',
  },
  nats_retry_interval: { type: 'float', default: 1, min: 0, help: 'Seconds between send retries.' },
});
