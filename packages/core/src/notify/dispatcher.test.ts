import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import type { Serializer } from '../serializer.js';
import { endpointPriorities, NotificationDispatcher, type NotificationEndpoint } from './dispatcher.js';
import { NotificationFilter } from './filter.js';
import { NotificationResult, PRIORITIES } from './priorities.js';

const logs: Array<[string, string]> = [];
const logger: Logger = {
  debug: (m) => logs.push(['debug', m]),
  info: (m) => logs.push(['info', m]),
  warn: (m) => logs.push(['warn', m]),
  error: (m) => logs.push(['error', m]),
};

const ctxt = { user_id: 'u1', project_id: 'p1' };
const message = (priority: string, extra: Record<string, unknown> = {}) => ({
  message_id: 'mid-1',
  publisher_id: 'compute.host1',
  event_type: 'compute.instance.exists',
  priority,
  payload: { instance_id: 'abc' },
  timestamp: '2026-11-25 00:37:06.121674',
  ...extra,
});

describe('NotificationDispatcher', () => {
  it('calls the method named after the priority with (ctxt, publisher, event type, payload, metadata)', async () => {
    const calls: unknown[][] = [];
    const d = new NotificationDispatcher([{ info: (...args: unknown[]) => void calls.push(args) }], undefined, logger);
    expect(await d.dispatch(ctxt, message('INFO'))).toBe(NotificationResult.HANDLED);
    expect(calls).toEqual([
      [
        ctxt,
        'compute.host1',
        'compute.instance.exists',
        { instance_id: 'abc' },
        { message_id: 'mid-1', timestamp: '2026-11-25 00:37:06.121674' },
      ],
    ]);
  });

  it('gives a notification to every endpoint with the method, skipping the others', async () => {
    const seen: string[] = [];
    const endpoints: NotificationEndpoint[] = [
      { info: () => void seen.push('a') },
      { error: () => void seen.push('b') },
      { info: () => void seen.push('c') },
    ];
    await new NotificationDispatcher(endpoints, undefined, logger).dispatch(ctxt, message('info'));
    expect(seen).toEqual(['a', 'c']);
  });

  it('stops and requeues when an endpoint asks for it or throws', async () => {
    const seen: string[] = [];
    const requeue = new NotificationDispatcher(
      [{ warn: () => NotificationResult.REQUEUE }, { warn: () => void seen.push('later') }],
      undefined,
      logger,
    );
    expect(await requeue.dispatch(ctxt, message('WARN'))).toBe(NotificationResult.REQUEUE);
    expect(seen).toEqual([]);
    logs.length = 0;
    const throws = new NotificationDispatcher(
      [
        {
          error: async () => {
            throw new Error('db down');
          },
        },
      ],
      undefined,
      logger,
    );
    expect(await throws.dispatch(ctxt, message('ERROR'))).toBe(NotificationResult.REQUEUE);
    expect(logs).toEqual([['error', 'Exception during notification handling']]);
  });

  it('applies the endpoint filter rule', async () => {
    const seen: string[] = [];
    const endpoints: NotificationEndpoint[] = [
      { filterRule: new NotificationFilter({ eventType: 'network\\.' }), info: () => void seen.push('network') },
      {
        filterRule: new NotificationFilter({ eventType: 'compute\\.', context: { user_id: 'u1' } }),
        info: () => void seen.push('compute'),
      },
    ];
    await new NotificationDispatcher(endpoints, undefined, logger).dispatch(ctxt, message('INFO'));
    expect(seen).toEqual(['compute']);
  });

  it('handles an unknown priority by logging and acknowledging it', async () => {
    logs.length = 0;
    const d = new NotificationDispatcher(
      [
        {
          info: () => {
            throw new Error('must not be called');
          },
        },
      ],
      undefined,
      logger,
    );
    expect(await d.dispatch(ctxt, message('LOUD'))).toBe(NotificationResult.HANDLED);
    expect(logs).toEqual([['warn', 'Unknown priority "loud"']]);
  });

  it('deserializes context and payload', async () => {
    const serializer: Serializer<unknown> = {
      serializeEntity: (_c, e) => e,
      deserializeEntity: (c, e) => ({ payload: e, by: (c as { who: string }).who }),
      serializeContext: () => ({}),
      deserializeContext: (c) => ({ who: c['user_id'] }),
    };
    let got: unknown[] = [];
    await new NotificationDispatcher([{ sample: (...a: unknown[]) => void (got = a) }], serializer, logger).dispatch(
      ctxt,
      message('SAMPLE'),
    );
    expect(got[0]).toEqual({ who: 'u1' });
    expect(got[3]).toEqual({ payload: { instance_id: 'abc' }, by: 'u1' });
  });
});

describe('endpointPriorities', () => {
  it('answers at once while endpoints do, and goes on past an async endpoint to the next one', async () => {
    const seen: string[] = [];
    const sync = new NotificationDispatcher([{ info: () => void seen.push('sync') }], undefined, logger);
    expect(sync.invoke(ctxt, message('INFO'))).toBe(NotificationResult.HANDLED);
    const mixed = new NotificationDispatcher(
      [
        { info: async () => void seen.push('async') },
        { info: () => void seen.push('after') },
        { info: async () => NotificationResult.REQUEUE },
        { info: () => void seen.push('never') },
      ],
      undefined,
      logger,
    );
    const pending = mixed.invoke(ctxt, message('INFO'));
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(NotificationResult.REQUEUE);
    expect(seen).toEqual(['sync', 'async', 'after']);
    logs.length = 0;
    const rejects = new NotificationDispatcher(
      [{ error: () => Promise.reject(new Error('handler broke')) }],
      undefined,
      logger,
    );
    expect(await rejects.invoke(ctxt, message('ERROR'))).toBe(NotificationResult.REQUEUE);
    expect(logs).toEqual([['error', 'Exception during notification handling']]);
  });

  it('lists the priorities some endpoint handles, in oslo order', () => {
    expect(
      endpointPriorities([
        { error: () => {} },
        { info: () => {}, notAPriority: () => {} },
        { audit: 'not a function' },
      ]),
    ).toEqual(['info', 'error']);
    expect(endpointPriorities([])).toEqual([]);
    expect(PRIORITIES).toEqual(['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample']);
  });
});
