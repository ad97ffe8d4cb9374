import { ConfigurationError, type Target } from '@oslo-messaging/core';
import type { ResolvedOptions } from '@oslo-messaging/core';
import type { RABBIT_OPTIONS } from './options.js';

type Opts = ResolvedOptions<typeof RABBIT_OPTIONS>;

/** Queue arguments as oslo's `_get_queue_arguments`. */
export function queueArguments(o: Opts, kind: 'durable' | 'transient'): Record<string, unknown> {
  if (o.rabbit_ha_queues && (o.rabbit_quorum_queue || o.rabbit_transient_quorum_queue)) {
    throw new ConfigurationError('rabbit_ha_queues and quorum queues cannot both be enabled');
  }
  const args: Record<string, unknown> = {};
  if (o.rabbit_ha_queues) args['x-ha-policy'] = 'all';
  const quorum = kind === 'durable' ? o.rabbit_quorum_queue : o.rabbit_transient_quorum_queue;
  if (quorum) {
    args['x-queue-type'] = 'quorum';
    if (o.rabbit_quorum_delivery_limit > 0) args['x-delivery-limit'] = o.rabbit_quorum_delivery_limit;
    if (o.rabbit_quorum_max_memory_length > 0) args['x-max-in-memory-length'] = o.rabbit_quorum_max_memory_length;
    if (o.rabbit_quorum_max_memory_bytes > 0) args['x-max-in-memory-bytes'] = o.rabbit_quorum_max_memory_bytes;
  }
  if (kind === 'transient' && o.rabbit_transient_queues_ttl > 0) args['x-expires'] = o.rabbit_transient_queues_ttl * 1000;
  return args;
}

/** Arguments of the one stream queue per topic that `rabbit_stream_fanout` uses (upstream: x-max-age from the transient TTL). */
export function streamArguments(o: Opts): Record<string, unknown> {
  return { 'x-queue-type': 'stream', ...(o.rabbit_transient_queues_ttl > 0 ? { 'x-max-age': `${o.rabbit_transient_queues_ttl}s` } : {}) };
}

/** Durable flag of topic/server/notification queues and exchanges. */
export function isDurable(o: Opts): boolean {
  return o.amqp_durable_queues || o.rabbit_quorum_queue;
}

/** Names of oslo 14's queues and exchanges. `id` is a uuid4 in hex (32 characters, no dashes). */
export const names = {
  /** The per-transport reply queue: `reply_<id>`. */
  replyQueue: (id: string) => `reply_${id}`,
  /** The queue shared by every server of a topic: `<topic>`. */
  topicQueue: (topic: string) => topic,
  /** One server's queue: `<topic>.<server>` (also its routing key). */
  serverQueue: (topic: string, server: string) => `${topic}.${server}`,
  /** The fanout exchange of a topic: `<topic>_fanout`. */
  fanoutExchange: (topic: string) => `${topic}_fanout`,
  /** One server's queue on the fanout exchange: `<topic>_fanout_<id>` (with the queue manager, id is `<host>:<process>:<n>`). */
  fanoutQueue: (topic: string, id: string) => `${topic}_fanout_${id}`,
  /** The one stream queue of a topic that every server reads (`rabbit_stream_fanout`): `<topic>_fanout`. */
  fanoutStream: (topic: string) => `${topic}_fanout`,
  /** A notification's routing key, and the queue of a listener without a pool: `<topic>.<priority>`. */
  notificationRoutingKey: (topic: string, priority: string) => `${topic}.${priority}`,
  /** The queue a listener consumes: the pool name when it has one (bound to every routing key). */
  notificationQueue: (routingKey: string, pool: string | undefined) => pool ?? routingKey,
} as const;

/** Where an RPC request is published. */
export function rpcRoute(target: Target, defaultExchange: string): { exchange: string; type: 'topic' | 'fanout'; routingKey: string } {
  const topic = String(target.topic);
  if (target.fanout) return { exchange: names.fanoutExchange(topic), type: 'fanout', routingKey: '' };
  return { exchange: target.exchange ?? defaultExchange, type: 'topic', routingKey: target.server ? names.serverQueue(topic, target.server) : names.topicQueue(topic) };
}

/** AMQP properties oslo.messaging sets on every message (one object per publish: no spreads on the hot path). */
export function publishProperties(expiration?: string, mandatory?: boolean, compression?: string) {
  const props: { contentType: string; contentEncoding: string; deliveryMode: number; priority: number; headers: Record<string, unknown>; expiration?: string; mandatory?: boolean } = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: compression ? { compression } : {},
  };
  if (expiration !== undefined) props.expiration = expiration;
  if (mandatory) props.mandatory = true;
  return props;
}
