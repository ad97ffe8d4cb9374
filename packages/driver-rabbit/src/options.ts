import { hostname } from 'node:os';
import { basename } from 'node:path';
import { defineOptions } from '@oslo-messaging/core/spi';

/** The `[oslo_messaging_rabbit]` options this driver understands (upstream 18.1 names and defaults). */
export const RABBIT_OPTIONS = defineOptions({
  amqp_durable_queues: {
    type: 'bool',
    default: false,
    help: 'Durable topic, server and notification queues and exchanges.',
  },
  amqp_auto_delete: {
    type: 'bool',
    default: false,
    help: 'Auto-delete topic, server and notification queues and exchanges.',
  },
  rpc_conn_pool_size: { type: 'int', default: 30, min: 1, help: 'Most send connections in the pool.' },
  conn_pool_min_size: { type: 'int', default: 2, min: 0, help: 'Idle send connections kept open.' },
  conn_pool_ttl: {
    type: 'int',
    default: 1200,
    min: 1,
    help: 'Seconds an idle send connection above the minimum stays open.',
  },
  ssl: { type: 'bool', default: false, deprecatedNames: ['rabbit_use_ssl'], help: 'Connect with TLS.' },
  ssl_version: { type: 'string', default: '', help: 'TLS version (TLSv1_2, TLSv1_3); empty for the default.' },
  ssl_key_file: { type: 'string', default: '', help: 'Client key (PEM).' },
  ssl_cert_file: { type: 'string', default: '', help: 'Client certificate (PEM).' },
  ssl_ca_file: { type: 'string', default: '', help: 'CA bundle to verify the broker (PEM).' },
  ssl_enforce_hostname_verification: {
    type: 'bool',
    default: true,
    help: "When ssl_ca_file is set, check the broker's certificate name against the URL's host (upstream 18.1 default and rule).",
  },
  ssl_enforce_fips_mode: {
    type: 'bool',
    default: false,
    help: 'Accepted for compatibility; no effect (upstream deprecated it: OpenSSL 3 removed the API).',
  },
  heartbeat_timeout_threshold: {
    type: 'int',
    default: 60,
    min: 0,
    help: 'AMQP heartbeat timeout in seconds; 0 disables.',
  },
  heartbeat_rate: {
    type: 'int',
    default: 3,
    min: 1,
    help: 'How many times per heartbeat_timeout_threshold the connection is checked for missed heartbeats (upstream 18.1 default 3).',
  },
  kombu_reconnect_delay: {
    type: 'float',
    default: 1,
    min: 0,
    max: 4.5,
    help: 'Extra delay before reconnecting after an error.',
  },
  kombu_reconnect_splay: {
    type: 'float',
    default: 0,
    min: 0,
    help: 'Random extra delay (0 to this many seconds) before each reconnect, so that many clients do not reconnect in step.',
  },
  kombu_compression: {
    type: 'string',
    default: '',
    help: 'Compress message bodies (kombu names: gzip/zlib, brotli; bz2 is read but not written). Empty: none.',
  },
  kombu_missing_consumer_retry_timeout: {
    type: 'int',
    default: 60,
    deprecatedNames: ['kombu_reconnect_timeout'],
    help: 'How long to retry a reply whose queue is missing.',
  },
  kombu_failover_strategy: {
    type: 'string',
    default: 'round-robin',
    choices: ['round-robin', 'shuffle'],
    help: 'How to choose the next host after a failure.',
  },
  rabbit_login_method: {
    type: 'string',
    default: 'AMQPLAIN',
    choices: ['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'RABBIT-CR-DEMO'],
    help: 'SASL mechanism.',
  },
  rabbit_retry_interval: { type: 'float', default: 1, min: 0, help: 'First reconnect delay (s).' },
  rabbit_retry_backoff: {
    type: 'float',
    default: 2,
    min: 0,
    help: 'Added to the delay after each full cycle over the hosts (s).',
  },
  rabbit_interval_max: { type: 'float', default: 30, min: 0, help: 'Maximum reconnect delay (s).' },
  rabbit_ha_queues: { type: 'bool', default: false, help: 'Mirrored queues (x-ha-policy: all).' },
  rabbit_quorum_queue: { type: 'bool', default: false, help: 'Quorum topic, server and notification queues.' },
  rabbit_transient_quorum_queue: { type: 'bool', default: false, help: 'Quorum reply and fanout queues.' },
  rabbit_quorum_delivery_limit: { type: 'int', default: 0, help: 'x-delivery-limit of quorum queues (0: none).' },
  rabbit_quorum_max_memory_length: {
    type: 'int',
    default: 0,
    deprecatedNames: ['rabbit_quroum_max_memory_length'],
    help: 'x-max-in-memory-length of quorum queues.',
  },
  rabbit_quorum_max_memory_bytes: {
    type: 'int',
    default: 0,
    deprecatedNames: ['rabbit_quroum_max_memory_bytes'],
    help: 'x-max-in-memory-bytes of quorum queues.',
  },
  rabbit_transient_queues_ttl: {
    type: 'int',
    default: 1800,
    min: 0,
    help: 'x-expires (s) of reply and fanout queues; 0: none.',
  },
  rabbit_qos_prefetch_count: {
    type: 'int',
    default: 0,
    min: 0,
    help: 'Prefetch per consumer (never global); 0: unlimited.',
  },
  direct_mandatory_flag: { type: 'bool', default: true, help: 'Publish replies with the mandatory flag.' },
  enable_cancel_on_failover: { type: 'bool', default: false, help: 'Consumer argument x-cancel-on-ha-failover.' },
  use_queue_manager: {
    type: 'bool',
    default: false,
    help: 'Reply and fanout queues named <hostname>:<processname>:<n> (stable across restarts) instead of random ones.',
  },
  hostname: { type: 'string', default: hostname(), help: 'Host name used by the queue manager (default: this host).' },
  processname: {
    type: 'string',
    default: basename(process.argv[1] ?? process.argv0),
    help: 'Process name used by the queue manager (default: the script name).',
  },
  rabbit_stream_fanout: {
    type: 'bool',
    default: false,
    help: 'Fanout through one stream queue per topic (<topic>_fanout) with consumer offsets; needs rabbit_qos_prefetch_count > 0 and rabbit_transient_quorum_queue.',
  },
});
