import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

// oslo semantics with servers found through the real Redis of this machine (fails loudly without it),
// named the short way (`?matchmaker=redis`); the other Redis tests use the `zmq+redis://` scheme.
const redis = process.env['OSLO_TEST_REDIS'] ?? '127.0.0.1:6379';
runDriverConformanceSuite({
  name: 'zmq (redis matchmaker)',
  url: () => `zmq://${redis}?matchmaker=redis&rpc_zmq_bind_address=127.0.0.1&rpc_ack_timeout_base=2`,
});
