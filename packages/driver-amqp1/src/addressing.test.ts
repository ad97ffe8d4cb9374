import { describe, expect, it } from 'vitest';
import { Addresser, chooseMode, type AddressingMode } from './addressing.js';

const options = (vhost?: string) => ({
  defaultExchange: 'openstack',
  vhost,
  serverPrefix: 'exclusive',
  broadcastPrefix: 'broadcast',
  groupPrefix: 'unicast',
  rpcPrefix: 'openstack.org/om/rpc',
  notifyPrefix: 'openstack.org/om/notify',
  unicastTag: 'unicast',
  multicastTag: 'multicast',
  anycastTag: 'anycast',
  rpcExchange: null,
  notifyExchange: null,
});
const make = (mode: AddressingMode, vhost?: string) => new Addresser(mode, options(vhost));

describe('AMQP 1.0 addressing (oslo.messaging 14 formats)', () => {
  it('legacy: broadcast/exclusive/unicast, dot-joined, vhost when set', () => {
    const a = make('legacy');
    expect(a.resolve({ topic: 'compute', fanout: true }, 'rpc')).toBe('broadcast.openstack.compute.all');
    expect(a.resolve({ topic: 'compute', server: 'n1' }, 'rpc')).toBe('exclusive.openstack.compute.n1');
    expect(a.resolve({ topic: 'compute', exchange: 'nova' }, 'rpc')).toBe('unicast.nova.compute');
    expect(a.anycast({ topic: 'notifications.info' }, 'notify')).toBe('unicast.openstack.notifications.info');
    expect(make('legacy', 'v1').anycast({ topic: 't' }, 'rpc')).toBe('unicast.v1.openstack.t');
  });

  it('routable: prefix/semantics[/vhost]/exchange/topic[/server]', () => {
    const a = make('routable');
    expect(a.resolve({ topic: 'compute', fanout: true }, 'rpc')).toBe(
      'openstack.org/om/rpc/multicast/openstack/compute',
    );
    expect(a.resolve({ topic: 'compute', server: 'n1' }, 'rpc')).toBe(
      'openstack.org/om/rpc/unicast/openstack/compute/n1',
    );
    expect(a.resolve({ topic: 'compute' }, 'rpc')).toBe('openstack.org/om/rpc/anycast/openstack/compute');
    expect(make('routable', 'v1').anycast({ topic: 'notifications.info' }, 'notify')).toBe(
      'openstack.org/om/notify/anycast/v1/openstack/notifications.info',
    );
    const withExchanges = new Addresser('routable', {
      ...options(),
      defaultExchange: '',
      rpcExchange: 'rpcx',
      notifyExchange: null,
    });
    expect(withExchanges.anycast({ topic: 't' }, 'rpc')).toBe('openstack.org/om/rpc/anycast/rpcx/t');
    expect(withExchanges.anycast({ topic: 't' }, 'notify')).toBe('openstack.org/om/notify/anycast/notify/t');
  });

  it("rabbitmq: legacy names in the plugin's /queue/ and /topic/ forms", () => {
    const a = make('rabbitmq');
    expect(a.resolve({ topic: 'compute', fanout: true }, 'rpc')).toBe('/topic/broadcast.openstack.compute.all');
    expect(a.resolve({ topic: 'compute', server: 'n1' }, 'rpc')).toBe('/queue/exclusive.openstack.compute.n1');
    expect(a.resolve({ topic: 'compute' }, 'rpc')).toBe('/queue/unicast.openstack.compute');
  });

  it("dynamic mode follows the peer's product like oslo's AddresserFactory", () => {
    expect(chooseMode('dynamic', undefined)).toBe('legacy');
    expect(chooseMode('dynamic', 'qpid-cpp')).toBe('legacy');
    expect(chooseMode('dynamic', 'qpid-dispatch-router')).toBe('routable');
    expect(chooseMode('dynamic', 'RabbitMQ')).toBe('rabbitmq');
    expect(chooseMode('legacy', 'RabbitMQ')).toBe('legacy');
  });
});
