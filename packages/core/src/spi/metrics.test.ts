import { describe, expect, it } from 'vitest';
import { ConfigurationError, MessagingTimeout } from '../errors.js';
import { silentLogger } from '../logger.js';
import { PluginRegistry } from '../plugins/registry.js';
import { getRpcClient } from '../rpc/client.js';
import { getRpcTransport } from '../transport.js';
import { defineDriver, defineMetricsCollector } from './define.js';
import type { Driver } from './driver.js';
import { ENTRY_POINT_GROUPS } from './entry-point.js';
import type { RpcClientInvocation } from './metrics.js';

const driver = defineDriver({
  name: 'mem',
  create: (): Driver => ({
    send: async (_t, _c, request) =>
      request.method === 'fail' ? Promise.reject(new MessagingTimeout('no reply')) : 'ok',
    sendNotification: async () => {},
    listen: async () => Promise.reject(new Error('unused')),
    listenForNotifications: async () => Promise.reject(new Error('unused')),
    cleanup: async () => {},
  }),
});

function registry(events: unknown[]) {
  const r = new PluginRegistry();
  r.register(ENTRY_POINT_GROUPS.drivers, 'mem', driver);
  r.register(
    ENTRY_POINT_GROUPS.metrics,
    'oslo.metrics',
    defineMetricsCollector({
      name: 'oslo.metrics',
      create: ({ config }) => {
        events.push(['created', config['oslo_messaging_metrics']?.['metrics_process_name']]);
        return {
          clientInvocation: (inv: RpcClientInvocation) => {
            events.push(['start', inv.method, inv.callType, inv.timeout, inv.target.topic]);
            return (err: unknown) => events.push(['end', inv.method, (err as Error | undefined)?.name]);
          },
          close: async () => void events.push(['closed']),
        };
      },
    }),
  );
  return r;
}

describe('RPC client metrics ([oslo_messaging_metrics])', () => {
  it('loads the oslo.metrics collector when metrics_enabled is on, and reports every call and cast with its outcome', async () => {
    const events: unknown[] = [];
    const config = { oslo_messaging_metrics: { metrics_enabled: 'true', metrics_process_name: 'nova-api' } };
    const t = await getRpcTransport({ url: 'mem://', config, plugins: registry(events), logger: silentLogger });
    const client = getRpcClient(t, { topic: 'compute' }, { timeout: 5 });
    await client.call({}, 'ping');
    await client.cast({}, 'go');
    await expect(client.call({}, 'fail')).rejects.toBeInstanceOf(MessagingTimeout);
    await t.cleanup();
    expect(events).toEqual([
      ['created', 'nova-api'],
      ['start', 'ping', 'call', 5, 'compute'],
      ['end', 'ping', undefined],
      ['start', 'go', 'cast', 5, 'compute'],
      ['end', 'go', undefined],
      ['start', 'fail', 'call', 5, 'compute'],
      ['end', 'fail', 'MessagingTimeout'],
      ['closed'],
    ]);
  });

  it('is off by default and when disabled; a bad switch is a ConfigurationError', async () => {
    const events: unknown[] = [];
    const off = await getRpcTransport({ url: 'mem://', plugins: registry(events), logger: silentLogger });
    expect(off.metrics).toBeUndefined();
    const disabled = await getRpcTransport({
      url: 'mem://',
      config: { oslo_messaging_metrics: { metrics_enabled: 'false' } },
      plugins: registry(events),
      logger: silentLogger,
    });
    expect(disabled.metrics).toBeUndefined();
    expect(events).toEqual([]);
    const err = await getRpcTransport({
      url: 'mem://',
      config: { oslo_messaging_metrics: { metrics_enabled: 'maybe' } },
      plugins: registry(events),
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
  });
});
