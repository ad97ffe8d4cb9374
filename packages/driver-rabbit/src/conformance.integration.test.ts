import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

// The whole oslo semantics suite against the real RabbitMQ of this machine (fails loudly without it).
runDriverConformanceSuite({
  name: 'rabbit',
  url: () => process.env['OSLO_TEST_RABBIT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/',
});
