import type { Target } from '@oslo-messaging/core';
import type { ResolvedOptions } from '@oslo-messaging/core';
import type { RABBIT_OPTIONS } from './options.js';

type Opts = ResolvedOptions<typeof RABBIT_OPTIONS>;

/** Queue arguments as oslo's `_get_queue_arguments`. */
export function queueArguments(o: Opts, kind: 'durable' | 'transient'): Record<string, unknown> {
  if (o.rabbit_ha_queues && (o.rabbit_quorum_queue || o.rabbit_transient_quorum_queue)) {
    throw new Error('rabbit_ha_queues and quorum queues cannot both be enabled');
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

/** Durable flag of topic/server/notification queues and exchanges. */
export function isDurable(o: Opts): boolean {
  return o.amqp_durable_queues || o.rabbit_quorum_queue;
}

/** Where an RPC request is published. */
export function rpcRoute(target: Target, defaultExchange: string): { exchange: string; type: 'topic' | 'fanout'; routingKey: string } {
  if (target.fanout) return { exchange: `${target.topic}_fanout`, type: 'fanout', routingKey: '' };
  return { exchange: target.exchange ?? defaultExchange, type: 'topic', routingKey: target.server ? `${target.topic}.${target.server}` : String(target.topic) };
}

/** AMQP properties oslo.messaging sets on every message. */
export function publishProperties(extra: { expiration?: string; mandatory?: boolean } = {}) {
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: {},
    ...extra,
  };
}
