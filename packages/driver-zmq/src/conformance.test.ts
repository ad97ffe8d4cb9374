import { runDriverConformanceSuite } from '@oslo-messaging/testkit';

// oslo semantics over real ZeroMQ sockets on loopback, servers found through the in-process matchmaker.
runDriverConformanceSuite({
  name: 'zmq (dummy matchmaker)',
  url: () => 'zmq://?rpc_zmq_bind_address=127.0.0.1&rpc_ack_timeout_base=2',
});
