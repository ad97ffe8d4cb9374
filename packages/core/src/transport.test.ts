import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, DriverLoadFailure, InvalidTransportURL, NoSuchMethod, RemoteError } from './errors.js';
import { silentLogger } from './logger.js';
import { PluginRegistry } from './plugins/registry.js';
import { defineDriver } from './spi/define.js';
import type { Driver, DriverContext } from './spi/driver.js';
import { ENTRY_POINT_GROUPS } from './spi/entry-point.js';
import { defineOptions } from './spi/options.js';
import { getNotificationTransport, getRpcTransport, Transport } from './transport.js';
import { TransportURL } from './transport-url.js';
import './wire/core-remote-errors.js';

const OPTIONS = defineOptions({
  mem_prefetch: { type: 'int', default: 1, help: 'prefetch' },
  mem_durable: { type: 'bool', default: false, deprecatedNames: ['mem_old_durable'], help: 'durable' },
});

let contexts: DriverContext[] = [];
let resolved: unknown[] = [];
let cleanups = 0;
let createError: Error | undefined;

function stubDriver(): Driver {
  return {
    send: async () => undefined,
    sendNotification: async () => {},
    listen: async () => {
      throw new Error('not used');
    },
    listenForNotifications: async () => {
      throw new Error('not used');
    },
    cleanup: async () => {
      cleanups++;
    },
  };
}

function registry(): PluginRegistry {
  const r = new PluginRegistry();
  r.register(
    ENTRY_POINT_GROUPS.drivers,
    'mem',
    defineDriver({
      name: 'mem',
      create(context) {
        contexts.push(context);
        if (createError) throw createError;
        resolved.push(context.options('oslo_messaging_mem', OPTIONS));
        return stubDriver();
      },
    }),
  );
  return r;
}

const base = { logger: silentLogger } as const;

afterEach(() => {
  contexts = [];
  resolved = [];
  cleanups = 0;
  createError = undefined;
  vi.unstubAllEnvs();
});

describe('choosing the transport URL', () => {
  it('takes the url option first, then [DEFAULT] transport_url, then OSLO_MESSAGING_TRANSPORT_URL', async () => {
    const plugins = registry();
    vi.stubEnv('OSLO_MESSAGING_TRANSPORT_URL', 'mem://env/');
    const config = { DEFAULT: { transport_url: 'mem://config/' } };
    expect((await getRpcTransport({ ...base, plugins, config, url: 'mem://explicit/' })).url.hosts[0]!.hostname).toBe(
      'explicit',
    );
    expect((await getRpcTransport({ ...base, plugins, config })).url.hosts[0]!.hostname).toBe('config');
    expect((await getRpcTransport({ ...base, plugins })).url.hosts[0]!.hostname).toBe('env');
  });

  it('defaults to rabbit:// when nothing is given', async () => {
    vi.stubEnv('OSLO_MESSAGING_TRANSPORT_URL', '');
    const r = new PluginRegistry();
    r.register(
      ENTRY_POINT_GROUPS.drivers,
      'rabbit',
      defineDriver({ name: 'rabbit', create: (c) => (contexts.push(c), stubDriver()) }),
    );
    const t = await getRpcTransport({ ...base, plugins: r });
    expect(t.url.transport).toBe('rabbit');
    expect(t.url.hosts).toEqual([]);
  });

  it('notifications prefer [oslo_messaging_notifications] transport_url over [DEFAULT]', async () => {
    const plugins = registry();
    const config = {
      DEFAULT: { transport_url: 'mem://rpc/' },
      oslo_messaging_notifications: { transport_url: 'mem://notify/' },
    };
    const n = await getNotificationTransport({ ...base, plugins, config });
    expect(n.url.hosts[0]!.hostname).toBe('notify');
    expect(n.purpose).toBe('notification');
    expect(contexts[0]!.purpose).toBe('notification');
    const rpc = await getRpcTransport({ ...base, plugins, config });
    expect(rpc.url.hosts[0]!.hostname).toBe('rpc');
    expect(rpc.purpose).toBe('rpc');
  });

  it('accepts a parsed TransportURL', async () => {
    const url = TransportURL.parse('mem://h:1/vh');
    const t = await getRpcTransport({ ...base, plugins: registry(), url });
    expect(t.url).toBe(url);
    expect(contexts[0]!.url).toBe(url);
  });

  it('reports a bad URL or a transport_url that is not a string', async () => {
    await expect(getRpcTransport({ ...base, plugins: registry(), url: 'mem://h:port/' })).rejects.toThrow(
      InvalidTransportURL,
    );
    await expect(
      getRpcTransport({ ...base, plugins: registry(), config: { DEFAULT: { transport_url: 5 } } }),
    ).rejects.toThrow(ConfigurationError);
  });

  it('fails with DriverLoadFailure for a driver nobody provides', async () => {
    const err = await getRpcTransport({ ...base, plugins: registry(), url: 'nosuchdrv://' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect((err as Error).message).toContain('npm install @oslo-messaging/driver-nosuchdrv');
  });

  it('loads the driver named by the scheme up to +', async () => {
    const t = await getRpcTransport({ ...base, plugins: registry(), url: 'mem+variant://' });
    expect(t.url.transport).toBe('mem+variant');
    expect(contexts).toHaveLength(1);
  });
});

describe('transport-wide settings', () => {
  it('have oslo defaults', async () => {
    const t = await getRpcTransport({ ...base, plugins: registry(), url: 'mem://' });
    expect(t.conf).toMatchObject({
      controlExchange: 'openstack',
      rpcResponseTimeout: 60,
      executorThreadPoolSize: 64,
      rpcPingEnabled: false,
    });
    expect(contexts[0]!.defaultExchange).toBe('openstack');
  });

  it('come from [DEFAULT] in the config, and code options win', async () => {
    const config = {
      DEFAULT: {
        control_exchange: 'nova',
        rpc_response_timeout: '30',
        rpc_thread_pool_size: '8',
        rpc_ping_enabled: 'true',
      },
    };
    const t = await getRpcTransport({ ...base, plugins: registry(), url: 'mem://', config });
    expect(t.conf).toMatchObject({
      controlExchange: 'nova',
      rpcResponseTimeout: 30,
      executorThreadPoolSize: 8,
      rpcPingEnabled: true,
    });
    const u = await getRpcTransport({
      ...base,
      plugins: registry(),
      url: 'mem://',
      config,
      controlExchange: 'cinder',
      rpcResponseTimeout: 5,
    });
    expect(u.conf).toMatchObject({ controlExchange: 'cinder', rpcResponseTimeout: 5, executorThreadPoolSize: 8 });
  });

  it('are validated', async () => {
    await expect(
      getRpcTransport({ ...base, plugins: registry(), url: 'mem://', executorThreadPoolSize: 0 }),
    ).rejects.toThrow(ConfigurationError);
    await expect(
      getRpcTransport({
        ...base,
        plugins: registry(),
        url: 'mem://',
        config: { DEFAULT: { rpc_response_timeout: 'soon' } },
      }),
    ).rejects.toThrow(
      'Option DEFAULT.rpc_response_timeout (from [DEFAULT] rpc_response_timeout in the config): expected a number, got "soon"',
    );
  });
});

describe('driver options', () => {
  it('resolve defaults < config group < driverOptions < URL query', async () => {
    const plugins = registry();
    await getRpcTransport({ ...base, plugins, url: 'mem://' });
    await getRpcTransport({ ...base, plugins, url: 'mem://', config: { oslo_messaging_mem: { mem_prefetch: '5' } } });
    await getRpcTransport({
      ...base,
      plugins,
      url: 'mem://',
      config: { oslo_messaging_mem: { mem_prefetch: '5' } },
      driverOptions: { memPrefetch: 7 },
    });
    await getRpcTransport({
      ...base,
      plugins,
      url: 'mem://?mem_prefetch=9&mem_old_durable=yes',
      driverOptions: { memPrefetch: 7 },
    });
    expect(resolved).toEqual([
      { mem_prefetch: 1, mem_durable: false },
      { mem_prefetch: 5, mem_durable: false },
      { mem_prefetch: 7, mem_durable: false },
      { mem_prefetch: 9, mem_durable: true },
    ]);
  });

  it('refuse unknown URL query keys and unknown driverOptions, cleaning the driver up', async () => {
    const err = await getRpcTransport({ ...base, plugins: registry(), url: 'mem://?mem_prefetch=2&bogus=1' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe('Unknown option(s) for the "mem" driver: bogus');
    expect(cleanups).toBe(1);
    await expect(
      getRpcTransport({ ...base, plugins: registry(), url: 'mem://', driverOptions: { nope: 1 } }),
    ).rejects.toThrow('Unknown option(s) for the "mem" driver: nope');
  });

  it('report a wrong value from the URL', async () => {
    await expect(getRpcTransport({ ...base, plugins: registry(), url: 'mem://?mem_prefetch=many' })).rejects.toThrow(
      '(from the transport URL): expected a number, got "many"',
    );
  });
});

describe('driver creation and cleanup', () => {
  it('wraps a failing driver factory in DriverLoadFailure with the cause', async () => {
    createError = new Error('cannot reach broker');
    const err = await getRpcTransport({ ...base, plugins: registry(), url: 'mem://' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverLoadFailure);
    expect((err as Error).message).toBe('Failed to load transport driver "mem": cannot reach broker');
    expect((err as Error).cause).toBe(createError);
  });

  it('lets ConfigurationError from the factory through as is', async () => {
    createError = new ConfigurationError('ssl_ca_file does not exist');
    await expect(getRpcTransport({ ...base, plugins: registry(), url: 'mem://' })).rejects.toBe(createError);
  });

  it('cleanup is idempotent', async () => {
    const t = await getRpcTransport({ ...base, plugins: registry(), url: 'mem://' });
    expect(t).toBeInstanceOf(Transport);
    await t.cleanup();
    await t.cleanup();
    expect(cleanups).toBe(1);
  });

  it('gives the driver a remote error codec honouring allowedRemoteExmods', async () => {
    await getRpcTransport({ ...base, plugins: registry(), url: 'mem://' });
    await getRpcTransport({
      ...base,
      plugins: registry(),
      url: 'mem://',
      allowedRemoteExmods: ['oslo_messaging.rpc.dispatcher'],
    });
    const failure = contexts[0]!.remoteErrors.serialize(new NoSuchMethod('m'));
    expect(contexts[0]!.remoteErrors.deserialize(failure)).toBeInstanceOf(RemoteError);
    expect(contexts[1]!.remoteErrors.deserialize(failure)).toBeInstanceOf(NoSuchMethod);
  });

  it('lets the driver load other plugins through the same registry', async () => {
    await getRpcTransport({ ...base, plugins: registry(), url: 'mem://' });
    expect(await contexts[0]!.loadPlugin(ENTRY_POINT_GROUPS.drivers, 'mem')).toMatchObject({ name: 'mem' });
  });
});
