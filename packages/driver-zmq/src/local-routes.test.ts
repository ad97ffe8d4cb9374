import { describe, expect, it } from 'vitest';
import { EVERY_POOL, MessageType, type RequestFrames, type RequestType } from './frames.js';
import { LocalRoutes, type LocalEndpoint } from './local-routes.js';

const endpoint = (topic: string, group: string): LocalEndpoint => ({ topic, group, deliver: () => {} });
const req = (type: RequestType, topic: string, server = ''): RequestFrames => ({
  type,
  msgId: 'm',
  topic,
  server,
  context: {},
  request: {},
  callMonitorTimeout: null,
});

describe('LocalRoutes', () => {
  const routes = new LocalRoutes();
  const a = endpoint('compute', 'a');
  const b = endpoint('compute', 'b');
  routes.add('rpc', a);
  routes.add('rpc', b);
  const p1 = endpoint('n.info', 'P');
  const p2 = endpoint('n.info', 'P');
  const q = endpoint('n.info', 'Q');
  const d = endpoint('n.info', '');
  for (const e of [p1, p2, q, d]) routes.add('notify', e);

  it('shares topic requests round-robin, targets a named server, fans out to all', () => {
    const picks = Array.from({ length: 4 }, () => routes.resolve(req(MessageType.CALL, 'compute'))[0]);
    expect(new Set(picks)).toEqual(new Set([a, b]));
    expect(routes.resolve(req(MessageType.CAST, 'compute', 'b'))).toEqual([b]);
    expect(routes.resolve(req(MessageType.CAST_FANOUT, 'compute'))).toEqual([a, b]);
  });

  it('refuses what it does not serve', () => {
    expect(routes.resolve(req(MessageType.CALL, 'other'))).toEqual([]);
    expect(routes.resolve(req(MessageType.CALL, 'compute', 'c'))).toEqual([]);
    expect(routes.resolve(req(MessageType.NOTIFY, 'n.info', 'R'))).toEqual([]);
  });

  it('gives a notification to one member of the named pool, or of every pool for *', () => {
    expect([p1, p2]).toContain(routes.resolve(req(MessageType.NOTIFY, 'n.info', 'P'))[0]);
    expect(routes.resolve(req(MessageType.NOTIFY, 'n.info', ''))).toEqual([d]);
    const every = routes.resolve(req(MessageType.NOTIFY, 'n.info', EVERY_POOL));
    expect(every).toHaveLength(3);
    expect(every).toContain(q);
    expect(every).toContain(d);
  });

  it('forgets removed endpoints', () => {
    routes.remove('rpc', a);
    expect(routes.resolve(req(MessageType.CAST_FANOUT, 'compute'))).toEqual([b]);
    expect(routes.count('rpc', 'compute')).toBe(1);
    routes.remove('rpc', b);
    expect(routes.count('rpc', 'compute')).toBe(0);
  });
});
