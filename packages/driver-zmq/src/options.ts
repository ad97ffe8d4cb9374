import { defineOptions } from '@oslo-messaging/core/spi';

/**
 * The `[oslo_messaging_zmq]` options this driver understands. Names and defaults follow oslo.messaging 8.1
 * (the last release with a ZeroMQ driver) where the meaning carried over; acknowledgements are on by default
 * here because a brokerless cast must not vanish silently.
 */
export const ZMQ_OPTIONS = defineOptions({
  rpc_zmq_matchmaker: {
    type: 'string',
    default: 'dummy',
    deprecatedNames: ['matchmaker'],
    help: 'Matchmaker plugin (group oslo.messaging.zmq.matchmaker): dummy (one process), redis, sentinel, static; `matchmaker` in a URL query is short for it. A zmq+<name>:// scheme wins.',
  },
  rpc_zmq_host: {
    type: 'string',
    default: '',
    help: "The host name or IP other processes use to reach this one (advertised in the matchmaker); empty: the bind address if specific, else this machine's host name.",
  },
  rpc_zmq_bind_address: {
    type: 'string',
    default: '*',
    help: 'Interface a server binds (tcp://<address>:<port>); * for all.',
  },
  rpc_zmq_bind_port: {
    type: 'int',
    default: 0,
    min: 0,
    max: 65535,
    help: 'Fixed port for the server socket (needed with the static matchmaker); 0 picks one in [rpc_zmq_min_port, rpc_zmq_max_port).',
  },
  rpc_zmq_min_port: { type: 'int', default: 49153, min: 1, max: 65536, help: 'Lowest random server port.' },
  rpc_zmq_max_port: {
    type: 'int',
    default: 65536,
    min: 1,
    max: 65536,
    help: 'One above the highest random server port.',
  },
  rpc_zmq_bind_port_retries: { type: 'int', default: 100, min: 1, help: 'Random ports tried before giving up.' },
  zmq_target_expire: { type: 'int', default: 300, min: 1, help: 'Seconds a matchmaker entry lives unless refreshed.' },
  zmq_target_update: {
    type: 'int',
    default: 180,
    min: 1,
    help: "Seconds between refreshes of this server's matchmaker entries (10 s retries while the matchmaker is down).",
  },
  zmq_host_cache_ttl: {
    type: 'float',
    default: 1,
    min: 0,
    help: 'Seconds a client reuses a matchmaker answer before asking again.',
  },
  rpc_use_acks: {
    type: 'bool',
    default: true,
    help: 'Casts and notifications wait for the receiving process to acknowledge them, and are re-sent elsewhere when it does not.',
  },
  rpc_ack_timeout_base: {
    type: 'float',
    default: 15,
    min: 0.01,
    help: 'Seconds to wait for an acknowledgement before re-sending.',
  },
  rpc_ack_timeout_multiplier: {
    type: 'float',
    default: 2,
    min: 1,
    help: 'Multiplies the acknowledgement wait after each attempt.',
  },
  rpc_retry_attempts: {
    type: 'int',
    default: 3,
    min: 0,
    help: "Re-sends after a missing acknowledgement (the send's own retry wins when given).",
  },
  zmq_connect_timeout: {
    type: 'float',
    default: 2,
    min: 0.01,
    help: 'Seconds to wait for a TCP connection to a server before trying another one.',
  },
  zmq_linger: {
    type: 'int',
    default: 0,
    min: -1,
    help: 'Seconds unsent messages linger when a socket closes (-1: forever).',
  },
  wait_timeout: {
    type: 'int',
    default: 500,
    min: 1,
    help: 'Milliseconds between matchmaker lookups while a topic has no live server.',
  },
  check_timeout: {
    type: 'int',
    default: 20000,
    min: 0,
    help: 'Milliseconds a cast or notification waits for a live server before failing.',
  },
});
