import { describe, expect, it } from 'vitest';
import { NotificationFilter } from './filter.js';

const ctxt = { user_id: 'u1', project_id: 'p1', is_admin: false };
const md = { message_id: 'm1', timestamp: '2026-11-25 00:37:06.121674' };
const payload = { state: 'active', host: 'compute-1', n: 1 };

function m(
  f: NotificationFilter,
  over: { ctxt?: object; publisher?: string; event?: string; metadata?: object; payload?: unknown } = {},
) {
  return f.match(
    (over.ctxt ?? ctxt) as never,
    over.publisher ?? 'compute.host1',
    over.event ?? 'compute.instance.create.end',
    (over.metadata ?? md) as never,
    'payload' in over ? over.payload : payload,
  );
}

describe('NotificationFilter (oslo NotificationFilter)', () => {
  it('matches everything with no criteria', () => {
    expect(m(new NotificationFilter({}))).toBe(true);
  });

  it('matches event type and publisher at the start, like re.match', () => {
    expect(m(new NotificationFilter({ eventType: 'compute\\.instance\\..*' }))).toBe(true);
    expect(m(new NotificationFilter({ eventType: 'instance' }))).toBe(false); // not anchored at the end, but at the start
    expect(m(new NotificationFilter({ eventType: 'compute' }))).toBe(true);
    expect(m(new NotificationFilter({ publisherId: '^compute\\.' }))).toBe(true);
    expect(m(new NotificationFilter({ publisherId: 'network' }))).toBe(false);
  });

  it('anchors alternations as a whole', () => {
    const f = new NotificationFilter({ eventType: 'a|compute' });
    expect(m(f)).toBe(true);
    expect(m(f, { event: 'xcompute' })).toBe(false);
  });

  it('accepts RegExp objects, keeping their flags but not g/y state', () => {
    const f = new NotificationFilter({ eventType: /COMPUTE/gi });
    expect(m(f)).toBe(true);
    expect(m(f)).toBe(true); // no lastIndex carried between calls
  });

  it('every given criterion must match (context, metadata, payload)', () => {
    const f = new NotificationFilter({
      context: { user_id: 'u' },
      metadata: { message_id: 'm' },
      payload: { state: 'active' },
    });
    expect(m(f)).toBe(true);
    expect(m(f, { ctxt: { user_id: 'x1' } })).toBe(false);
    expect(m(f, { metadata: { message_id: 'x' } })).toBe(false);
    expect(m(f, { payload: { state: 'deleted' } })).toBe(false);
  });

  it('a missing key or a non-string value never matches', () => {
    expect(m(new NotificationFilter({ context: { missing: '.*' } }))).toBe(false);
    expect(m(new NotificationFilter({ context: { is_admin: 'False' } }))).toBe(false);
    expect(m(new NotificationFilter({ payload: { n: '1' } }))).toBe(false);
    expect(m(new NotificationFilter({ payload: { state: '.*' } }), { payload: 'a string payload' })).toBe(false);
    expect(m(new NotificationFilter({ payload: { state: '.*' } }), { payload: null })).toBe(false);
  });
});
