import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@oslo-messaging/core';
import { resolveOptions } from '@oslo-messaging/core/spi';
import { RABBIT_OPTIONS } from './options.js';
import { isDurable, queueArguments } from './topology.js';

const opts = (code: Record<string, unknown> = {}) => resolveOptions('oslo_messaging_rabbit', RABBIT_OPTIONS, { code });

describe('queue arguments', () => {
  it('by default: x-expires (ms) on transient queues only', () => {
    expect(queueArguments(opts(), 'durable')).toEqual({});
    expect(queueArguments(opts(), 'transient')).toEqual({ 'x-expires': 1_800_000 });
    expect(queueArguments(opts({ rabbit_transient_queues_ttl: 0 }), 'transient')).toEqual({});
    expect(isDurable(opts())).toBe(false);
  });

  it('quorum queues for durable queues, with their limits; durable follows', () => {
    const o = opts({
      rabbit_quorum_queue: true,
      rabbit_quorum_delivery_limit: 3,
      rabbit_quorum_max_memory_length: 10,
      rabbit_quorum_max_memory_bytes: 1024,
    });
    expect(queueArguments(o, 'durable')).toEqual({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 3,
      'x-max-in-memory-length': 10,
      'x-max-in-memory-bytes': 1024,
    });
    expect(queueArguments(o, 'transient')).toEqual({ 'x-expires': 1_800_000 });
    expect(isDurable(o)).toBe(true);
    expect(isDurable(opts({ amqp_durable_queues: true }))).toBe(true);
  });

  it('transient quorum queues for reply and fanout queues', () => {
    expect(
      queueArguments(opts({ rabbit_transient_quorum_queue: true, rabbit_transient_queues_ttl: 60 }), 'transient'),
    ).toEqual({ 'x-queue-type': 'quorum', 'x-expires': 60_000 });
  });

  it('HA queues: x-ha-policy all; refused together with quorum queues', () => {
    expect(queueArguments(opts({ rabbit_ha_queues: true }), 'durable')).toEqual({ 'x-ha-policy': 'all' });
    expect(() => queueArguments(opts({ rabbit_ha_queues: true, rabbit_quorum_queue: true }), 'durable')).toThrow(
      ConfigurationError,
    );
  });
});
