import { ConfigurationError } from '@oslo-messaging/core';
import type { ResolvedOptions } from '@oslo-messaging/core/spi';
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
  if (kind === 'transient' && o.rabbit_transient_queues_ttl > 0)
    args['x-expires'] = o.rabbit_transient_queues_ttl * 1000;
  return args;
}

/** Arguments of the one stream queue per topic that `rabbit_stream_fanout` uses (upstream: x-max-age from the transient TTL). */
export function streamArguments(o: Opts): Record<string, unknown> {
  return {
    'x-queue-type': 'stream',
    ...(o.rabbit_transient_queues_ttl > 0 ? { 'x-max-age': `${o.rabbit_transient_queues_ttl}s` } : {}),
  };
}

/** Durable flag of topic/server/notification queues and exchanges. */
export function isDurable(o: Opts): boolean {
  return o.amqp_durable_queues || o.rabbit_quorum_queue;
}

/** AMQP properties oslo.messaging sets on every message (one object per publish: no spreads on the hot path). */
export function publishProperties(expiration?: string, mandatory?: boolean, compression?: string) {
  const props: {
    contentType: string;
    contentEncoding: string;
    deliveryMode: number;
    priority: number;
    headers: Record<string, unknown>;
    expiration?: string;
    mandatory?: boolean;
  } = {
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
