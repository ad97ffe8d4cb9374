import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

// oslo semantics through RabbitMQ's AMQP 1.0 plugin (port 5672 of this machine; fails loudly without it).
// Addressing: dynamic picks `rabbitmq` from the broker's product; set it explicitly here to test the mode itself.
runDriverConformanceSuite({
  name: 'amqp1 (RabbitMQ AMQP 1.0 plugin)',
  url: () => process.env['OSLO_TEST_AMQP1_RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/?addressing_mode=rabbitmq',
  transportOptions: { driverOptions: { link_retry_delay: 1 } },
  capabilities: { pools: false },
});
