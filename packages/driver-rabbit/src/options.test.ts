import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@oslo-messaging/core';
import { resolveOptions } from '@oslo-messaging/core/spi';
import { RABBIT_OPTIONS } from './options.js';

const resolve = (sources: Parameters<typeof resolveOptions>[2]) =>
  resolveOptions('oslo_messaging_rabbit', RABBIT_OPTIONS, sources);

describe('[oslo_messaging_rabbit] options', () => {
  it("have upstream's defaults (14.x; heartbeat_rate as 18.1)", () => {
    expect(resolve({})).toMatchObject({
      amqp_durable_queues: false,
      amqp_auto_delete: false,
      rpc_conn_pool_size: 30,
      conn_pool_min_size: 2,
      conn_pool_ttl: 1200,
      ssl: false,
      heartbeat_timeout_threshold: 60,
      heartbeat_rate: 3, // upstream 18.1's default (14.x had 2)
      kombu_reconnect_delay: 1,
      kombu_missing_consumer_retry_timeout: 60,
      kombu_failover_strategy: 'round-robin',
      rabbit_login_method: 'AMQPLAIN',
      rabbit_retry_interval: 1,
      rabbit_retry_backoff: 2,
      rabbit_interval_max: 30,
      rabbit_ha_queues: false,
      rabbit_quorum_queue: false,
      rabbit_transient_quorum_queue: false,
      rabbit_transient_queues_ttl: 1800,
      rabbit_qos_prefetch_count: 0,
      direct_mandatory_flag: true,
      enable_cancel_on_failover: false,
    });
  });

  it('read the config file section, then code (snake or camel case), then the URL query', () => {
    const o = resolve({
      config: {
        oslo_messaging_rabbit: {
          heartbeat_timeout_threshold: '10',
          amqp_durable_queues: 'true',
          rabbit_retry_interval: '0.5',
        },
      },
      code: { heartbeatTimeoutThreshold: 20, kombu_failover_strategy: 'shuffle' },
      query: { heartbeat_timeout_threshold: '30' },
    });
    expect(o.heartbeat_timeout_threshold).toBe(30);
    expect(o.amqp_durable_queues).toBe(true);
    expect(o.rabbit_retry_interval).toBe(0.5);
    expect(o.kombu_failover_strategy).toBe('shuffle');
  });

  it('accept the deprecated names oslo still accepts', () => {
    const o = resolve({
      config: {
        oslo_messaging_rabbit: {
          rabbit_use_ssl: 'true',
          kombu_reconnect_timeout: '5',
          rabbit_quroum_max_memory_length: '7',
        },
      },
    });
    expect([o.ssl, o.kombu_missing_consumer_retry_timeout, o.rabbit_quorum_max_memory_length]).toEqual([true, 5, 7]);
  });

  it('refuse values outside their choices or range', () => {
    expect(() => resolve({ query: { kombu_failover_strategy: 'random' } })).toThrow(ConfigurationError);
    expect(() => resolve({ query: { rabbit_login_method: 'KERBEROS' } })).toThrow(ConfigurationError);
    expect(() => resolve({ code: { kombu_reconnect_delay: 5 } })).toThrow(ConfigurationError);
    expect(() => resolve({ query: { heartbeat_timeout_threshold: 'soon' } })).toThrow(ConfigurationError);
  });
});
