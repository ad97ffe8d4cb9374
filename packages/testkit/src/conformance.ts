import { randomUUID } from 'node:crypto';
import {
  getBatchNotificationListener,
  getNotificationListener,
  getNotificationTransport,
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  MessagingTimeout,
  NoSuchMethod,
  NotificationFilter,
  NotificationResult,
  Notifier,
  RemoteError,
  silentLogger,
  type BatchNotification,
  type MessageHandlingServer,
  type Transport,
  type TransportOptions,
  PythonErrors,
} from '@oslo-messaging/core';
import { afterEach, describe, expect, it } from 'vitest';

/** What a driver supports; everything defaults to `true`. An unsupported feature's tests are reported as skipped, never passed. */
export interface DriverCapabilities {
  /** Fanout casts to every server of a topic. */
  readonly fanout: boolean;
  /** Notification listener pools. */
  readonly pools: boolean;
  /** Requeue of notifications. */
  readonly requeue: boolean;
  /** Call-monitor heartbeats (`callMonitorTimeout`). */
  readonly callMonitor: boolean;
  /** Notifications at all. */
  readonly notifications: boolean;
  /**
   * A second transport in the same process can serve too (false for e.g. ZeroMQ with a static
   * matchmaker, whose ring gives each host one fixed server port).
   */
  readonly secondServingTransport: boolean;
}

/** Options of {@link runDriverConformanceSuite}. */
export interface ConformanceOptions {
  /** Shown in the suite name. */
  readonly name: string;
  /** A URL for the driver; called for each transport, so it may return a fresh virtual host. */
  readonly url: () => string | Promise<string>;
  /** Extra transport options (driverOptions, controlExchange, ...). */
  readonly transportOptions?: Omit<TransportOptions, 'url'>;
  readonly capabilities?: Partial<DriverCapabilities>;
  /** Multiplies every wait, for slow brokers (default 1). */
  readonly timeoutScale?: number;
}

class QuotaExceeded extends Error {}

/**
 * Registers a vitest suite that checks a transport driver against oslo.messaging's semantics,
 * using only core's public API. Call it at the top level of a test file.
 */
export function runDriverConformanceSuite(options: ConformanceOptions): void {
  const caps: DriverCapabilities = {
    fanout: true,
    pools: true,
    requeue: true,
    callMonitor: true,
    notifications: true,
    secondServingTransport: true,
    ...options.capabilities,
  };
  const scale = options.timeoutScale ?? 1;
  const testTimeout = 30_000 * scale;
  const open: Transport[] = [];
  const servers: MessageHandlingServer[] = [];

  const uniq = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  /** A transport; pass `sameAs` for a second transport on the same broker/virtual host. */
  const rpcTransport = async (extra: Partial<TransportOptions> = {}, sameAs?: Transport) => {
    const url = sameAs ? sameAs.url.format({ revealPasswords: true }) : await options.url();
    const t = await getRpcTransport({ logger: silentLogger, ...options.transportOptions, ...extra, url });
    open.push(t);
    return t;
  };
  const notificationTransport = async () => {
    const t = await getNotificationTransport({
      logger: silentLogger,
      ...options.transportOptions,
      url: await options.url(),
    });
    open.push(t);
    return t;
  };
  const started = async <S extends MessageHandlingServer>(server: S): Promise<S> => {
    await server.start();
    servers.push(server);
    return server;
  };
  const eventually = async (check: () => boolean, what: string, seconds = 10): Promise<void> => {
    const deadline = Date.now() + seconds * 1000 * scale;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms * scale));
  const itIf = (cap: keyof DriverCapabilities) => (caps[cap] ? it : it.skip);

  afterEach(async () => {
    for (const s of servers.splice(0)) {
      await s.stop();
      await s.wait();
    }
    await Promise.all(open.splice(0).map((t) => t.cleanup()));
  });

  describe(`driver conformance: ${options.name}`, () => {
    describe('RPC', () => {
      it(
        'call returns the result; the context travels with client_timeout',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('call');
          let seen: Record<string, unknown> = {};
          await started(
            getRpcServer(t, { topic, server: 's1' }, [
              { echo: (ctxt: Record<string, unknown>, { v }: { v: unknown }) => ((seen = ctxt), v) },
            ]),
          );
          const result = await getRpcClient(t, { topic }, { timeout: 10 }).call(
            { user_id: 'u1', roles: ['admin'] },
            'echo',
            { v: { a: [1, 'x', null], b: true } },
          );
          expect(result).toEqual({ a: [1, 'x', null], b: true });
          expect(seen).toMatchObject({ user_id: 'u1', roles: ['admin'] });
          expect(seen).toHaveProperty('client_timeout');
        },
        testTimeout,
      );

      it(
        'cast is delivered',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('cast');
          const got: unknown[] = [];
          await started(
            getRpcServer(t, { topic, server: 's1' }, [
              { note: (_c: unknown, { v }: { v: unknown }) => void got.push(v) },
            ]),
          );
          await getRpcClient(t, { topic }).cast({}, 'note', { v: 7 });
          await eventually(() => got.length === 1, 'the cast');
          expect(got).toEqual([7]);
        },
        testTimeout,
      );

      it(
        'an endpoint can cast and call from inside its handler (core may run it in the delivery callback)',
        async () => {
          const t = await rpcTransport();
          const [relayTopic, backTopic] = [uniq('relay'), uniq('back')];
          const notes: unknown[] = [];
          /** The casts the endpoints start without awaiting them: the test awaits them before it ends. */
          const relayed: Promise<void>[] = [];
          await started(
            getRpcServer(t, { topic: backTopic, server: 's1' }, [
              {
                note: (_c: unknown, { v }: { v: unknown }) => void notes.push(v),
                echo: (_c: unknown, a: unknown) => a,
              },
            ]),
          );
          const back = getRpcClient(t, { topic: backTopic }, { timeout: 10 });
          await started(
            getRpcServer(t, { topic: relayTopic, server: 's1' }, [
              {
                // Sends start synchronously, before the handler returns: a sync cast and a call whose promise is the result.
                relay: (_c: unknown, { v }: { v: number }) => {
                  relayed.push(back.cast({}, 'note', { v }));
                  return back.call({}, 'echo', { v: v + 1 });
                },
                relayCast: (_c: unknown, { v }: { v: number }) => void relayed.push(back.cast({}, 'note', { v })),
              },
            ]),
          );
          const relay = getRpcClient(t, { topic: relayTopic }, { timeout: 10 });
          expect(await relay.call({}, 'relay', { v: 1 })).toEqual({ v: 2 });
          await relay.cast({}, 'relayCast', { v: 3 });
          await eventually(() => notes.length === 2, 'the casts sent from the endpoints');
          await Promise.all(relayed);
          expect(relayed).toHaveLength(2);
          expect(notes.sort()).toEqual([1, 3]);
        },
        testTimeout,
      );

      it(
        'server-targeted calls and casts reach only that server',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('direct');
          const hits: string[] = [];
          for (const name of ['a', 'b']) {
            await started(getRpcServer(t, { topic, server: name }, [{ who: () => (hits.push(name), name) }]));
          }
          const toB = getRpcClient(t, { topic, server: 'b' }, { timeout: 10 });
          for (let i = 0; i < 4; i++) expect(await toB.call({}, 'who')).toBe('b');
          await toB.cast({}, 'who');
          await eventually(() => hits.length === 5, 'the cast to b');
          expect(new Set(hits)).toEqual(new Set(['b']));
        },
        testTimeout,
      );

      it(
        'calls to the topic are shared among its servers',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('share');
          for (const name of ['a', 'b']) await started(getRpcServer(t, { topic, server: name }, [{ who: () => name }]));
          const client = getRpcClient(t, { topic }, { timeout: 10 });
          const answers = new Set<unknown>();
          for (let i = 0; i < 20; i++) answers.add(await client.call({}, 'who'));
          expect(answers).toEqual(new Set(['a', 'b']));
        },
        testTimeout,
      );

      itIf('fanout')(
        'a fanout cast reaches every server',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('fanout');
          const hits: string[] = [];
          for (const name of ['a', 'b', 'c'])
            await started(getRpcServer(t, { topic, server: name }, [{ ping: () => void hits.push(name) }]));
          await getRpcClient(t, { topic, fanout: true }).cast({}, 'ping');
          await eventually(() => hits.length === 3, 'three fanout deliveries');
          await sleep(100);
          expect(hits.sort()).toEqual(['a', 'b', 'c']);
        },
        testTimeout,
      );

      it(
        'a call nobody serves fails with MessagingTimeout after its timeout',
        async () => {
          const t = await rpcTransport();
          const started_ = Date.now();
          await expect(getRpcClient(t, { topic: uniq('nobody') }, { timeout: 1 }).call({}, 'x')).rejects.toBeInstanceOf(
            MessagingTimeout,
          );
          const elapsed = Date.now() - started_;
          expect(elapsed).toBeGreaterThanOrEqual(900);
          // The deadline contract: settled by the timeout plus core's slack (and some event-loop noise).
          expect(elapsed).toBeLessThan(1000 + 1000);
        },
        testTimeout,
      );

      it(
        'remote errors: built-ins are re-created, others arrive as RemoteError',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('errors');
          await started(
            getRpcServer(t, { topic, server: 's' }, [
              {
                value: () => {
                  throw new PythonErrors.ValueError('bad value');
                },
                quota: () => {
                  throw new QuotaExceeded('over quota');
                },
                type: () => {
                  throw new TypeError('wrong type');
                },
              },
            ]),
          );
          const client = getRpcClient(t, { topic }, { timeout: 10 });
          const v = await client.call({}, 'value').catch((e: unknown) => e);
          expect(v).toBeInstanceOf(PythonErrors.ValueError);
          expect((v as Error).message).toBe('bad value');
          await expect(client.call({}, 'type')).rejects.toBeInstanceOf(TypeError);
          const q = await client.call({}, 'quota').catch((e: unknown) => e);
          expect(q).toBeInstanceOf(RemoteError);
          expect((q as RemoteError).excType).toBe('QuotaExceeded');
          expect((q as RemoteError).value).toBe('over quota');
        },
        testTimeout,
      );

      it(
        'NoSuchMethod and UnsupportedVersion (version and namespace) reach the caller',
        async () => {
          const t = await rpcTransport();
          const allowed = await rpcTransport({ allowedRemoteExmods: ['oslo_messaging.rpc.dispatcher'] }, t);
          const topic = uniq('dispatch');
          await started(
            getRpcServer(t, { topic, server: 's' }, [
              { target: { namespace: 'ns', version: '1.3' }, ping: () => 'pong' },
            ]),
          );
          const client = getRpcClient(t, { topic, namespace: 'ns', version: '1.2' }, { timeout: 10 });
          expect(await client.call({}, 'ping')).toBe('pong');
          const nsm = await client.call({}, 'nope').catch((e: unknown) => e);
          expect((nsm as RemoteError).excType).toBe('NoSuchMethod');
          expect(
            await getRpcClient(allowed, { topic, namespace: 'ns' }, { timeout: 10 })
              .call({}, 'nope')
              .catch((e: unknown) => e),
          ).toBeInstanceOf(NoSuchMethod);
          const tooNew = await client
            .prepare({ version: '1.4' })
            .call({}, 'ping')
            .catch((e: unknown) => e);
          expect((tooNew as RemoteError).excType).toBe('UnsupportedVersion');
          const otherMajor = await client
            .prepare({ version: '2.0' })
            .call({}, 'ping')
            .catch((e: unknown) => e);
          expect((otherMajor as RemoteError).excType).toBe('UnsupportedVersion');
          const otherNs = await client
            .prepare({ namespace: 'other' })
            .call({}, 'ping')
            .catch((e: unknown) => e);
          expect((otherNs as RemoteError).excType).toBe('UnsupportedVersion');
        },
        testTimeout,
      );

      itIf('callMonitor')(
        'call monitoring keeps a long call alive with heartbeats',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('monitor');
          await started(
            getRpcServer(t, { topic, server: 's' }, [
              { slow: async (_c: unknown, { ms }: { ms: number }) => (await sleep(ms), 'done') },
            ]),
          );
          const client = getRpcClient(t, { topic }, { timeout: 20, callMonitorTimeout: 2 });
          expect(await client.call({}, 'slow', { ms: 3500 })).toBe('done');
        },
        testTimeout,
      );

      (caps.callMonitor && caps.secondServingTransport ? it : it.skip)(
        'call monitoring fails a call whose server went quiet mid-call, long before its timeout',
        async () => {
          const t = await rpcTransport();
          // A server that took the call and then went quiet (its transport gone mid-call): the caller
          // learns it from the missing heartbeats, long before the call's own timeout.
          const serverTransport = await rpcTransport({}, t);
          const quietTopic = uniq('silent');
          let entered!: () => void;
          const inHandler = new Promise<void>((r) => (entered = r));
          let release!: () => void;
          const released = new Promise<void>((r) => (release = r));
          await started(
            getRpcServer(serverTransport, { topic: quietTopic, server: 'q' }, [
              { hang: async () => (entered(), await released, 'late') },
            ]),
          );
          const quiet = getRpcClient(t, { topic: quietTopic }, { timeout: 20, callMonitorTimeout: 2 });
          const outcome = quiet.call({}, 'hang').catch((e: unknown) => e);
          await inHandler;
          await serverTransport.cleanup();
          const wentQuiet = Date.now();
          const err = await outcome;
          release();
          expect(err).toBeInstanceOf(MessagingTimeout);
          expect(Date.now() - wentQuiet).toBeLessThan((2000 + 1500) * scale);
        },
        testTimeout,
      );

      it(
        'a stopped server can start again and keeps serving',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('restart');
          const server = await started(getRpcServer(t, { topic, server: 's' }, [{ ping: () => 'pong' }]));
          const client = getRpcClient(t, { topic }, { timeout: 10 });
          expect(await client.call({}, 'ping')).toBe('pong');
          await server.stop();
          await server.wait();
          await server.start();
          expect(await client.call({}, 'ping')).toBe('pong');
        },
        testTimeout,
      );

      it(
        'wait() resolves only after in-flight calls finished and were answered',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('drain');
          const server = await started(
            getRpcServer(t, { topic, server: 's' }, [{ slow: async () => (await sleep(500), 'finished') }]),
          );
          const call = getRpcClient(t, { topic }, { timeout: 10 }).call({}, 'slow');
          await sleep(150);
          await server.stop();
          await server.wait();
          expect(await call).toBe('finished');
        },
        testTimeout,
      );

      it(
        '50 concurrent calls each get their own result',
        async () => {
          const t = await rpcTransport();
          const topic = uniq('concurrent');
          for (const name of ['a', 'b'])
            await started(
              getRpcServer(t, { topic, server: name }, [
                { double: async (_c: unknown, { n }: { n: number }) => (await sleep(n % 7), n * 2) },
              ]),
            );
          const client = getRpcClient(t, { topic }, { timeout: 20 });
          const results = await Promise.all(Array.from({ length: 50 }, (_, n) => client.call({}, 'double', { n })));
          expect(results).toEqual(Array.from({ length: 50 }, (_, n) => n * 2));
        },
        testTimeout,
      );
    });

    const describeNotifications = caps.notifications ? describe : describe.skip;
    describeNotifications('notifications', () => {
      it(
        'info and error reach the endpoint with publisher, event type, payload and metadata',
        async () => {
          const t = await notificationTransport();
          const topic = uniq('notif');
          const got: Array<{
            priority: string;
            publisherId: string;
            eventType: string;
            payload: unknown;
            metadata: Record<string, unknown>;
            ctxt: Record<string, unknown>;
          }> = [];
          const record =
            (priority: string) =>
            (
              ctxt: Record<string, unknown>,
              publisherId: string,
              eventType: string,
              payload: unknown,
              metadata: Record<string, unknown>,
            ) =>
              void got.push({ priority, publisherId, eventType, payload, metadata, ctxt });
          await started(getNotificationListener(t, [{ topic }], [{ info: record('info'), error: record('error') }]));
          const notifier = new Notifier(t, { publisherId: 'compute.host1', topics: [topic] });
          await notifier.info({ user_id: 'u1', auth_token: 'secret' }, 'compute.instance.create.end', { id: 1 });
          await notifier.error({}, 'compute.instance.create.error', { id: 2 });
          await eventually(() => got.length === 2, 'two notifications');
          const info = got.find((g) => g.priority === 'info')!;
          expect(info).toMatchObject({
            publisherId: 'compute.host1',
            eventType: 'compute.instance.create.end',
            payload: { id: 1 },
          });
          expect(info.metadata['message_id']).toMatch(/^[0-9a-f-]{36}$/);
          expect(String(info.metadata['timestamp'])).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
          expect(info.ctxt['user_id']).toBe('u1');
          expect(info.ctxt['auth_token']).toBeUndefined();
          expect(got.find((g) => g.priority === 'error')).toMatchObject({
            eventType: 'compute.instance.create.error',
            payload: { id: 2 },
          });
        },
        testTimeout,
      );

      itIf('pools')(
        'each pool gets every notification once; members of a pool share them',
        async () => {
          const t = await notificationTransport();
          const topic = uniq('pools');
          const seen: Record<string, number[]> = { a1: [], a2: [], b1: [] };
          for (const [member, pool] of [
            ['a1', 'A'],
            ['a2', 'A'],
            ['b1', 'B'],
          ] as const) {
            await started(
              getNotificationListener(
                t,
                [{ topic }],
                [
                  {
                    info: (_c: unknown, _p: string, _e: string, payload: { n: number }) =>
                      void seen[member]!.push(payload.n),
                  },
                ],
                { pool: `${pool}_${topic}` },
              ),
            );
          }
          const notifier = new Notifier(t, { publisherId: 'p', topics: [topic] });
          for (let n = 0; n < 10; n++) await notifier.info({}, 'evt', { n });
          await eventually(
            () => seen['a1']!.length + seen['a2']!.length === 10 && seen['b1']!.length === 10,
            'every pool to get all ten',
          );
          await sleep(200);
          expect([...seen['a1']!, ...seen['a2']!].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
          expect(seen['b1']!.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        },
        testTimeout,
      );

      itIf('requeue')(
        'a requeued notification is delivered again when requeue is allowed',
        async () => {
          const t = await notificationTransport();
          const topic = uniq('requeue');
          let attempts = 0;
          await started(
            getNotificationListener(
              t,
              [{ topic }],
              [{ info: () => (++attempts === 1 ? NotificationResult.REQUEUE : NotificationResult.HANDLED) }],
              { allowRequeue: true },
            ),
          );
          await new Notifier(t, { publisherId: 'p', topics: [topic] }).info({}, 'evt', {});
          await eventually(() => attempts === 2, 'the redelivery');
          await sleep(200);
          expect(attempts).toBe(2);
        },
        testTimeout,
      );

      it(
        'a batch listener gets full batches, then a partial one after the batch timeout',
        async () => {
          const t = await notificationTransport();
          const topic = uniq('batch');
          const batches: number[] = [];
          await started(
            getBatchNotificationListener(
              t,
              [{ topic }],
              [{ info: (messages: BatchNotification[]) => void batches.push(messages.length) }],
              { batchSize: 5, batchTimeout: 1 },
            ),
          );
          const notifier = new Notifier(t, { publisherId: 'p', topics: [topic] });
          for (let n = 0; n < 12; n++) await notifier.info({}, 'evt', { n });
          await eventually(() => batches.reduce((a, b) => a + b, 0) === 12, 'twelve notifications in batches');
          expect(batches).toEqual([5, 5, 2]);
        },
        testTimeout,
      );

      it(
        'a NotificationFilter skips what it does not match',
        async () => {
          const t = await notificationTransport();
          const topic = uniq('filter');
          const got: string[] = [];
          await started(
            getNotificationListener(
              t,
              [{ topic }],
              [
                {
                  filterRule: new NotificationFilter({ eventType: 'compute\\.instance\\..*', publisherId: '^compute' }),
                  info: (_c: unknown, _p: string, e: string) => void got.push(e),
                },
              ],
            ),
          );
          const notifier = new Notifier(t, { publisherId: 'compute.h1', topics: [topic] });
          await notifier.info({}, 'image.upload', {});
          await notifier.info({}, 'compute.instance.delete', {});
          await notifier.prepare({ publisherId: 'network.h1' }).info({}, 'compute.instance.other', {});
          await notifier.info({}, 'compute.instance.create', {});
          await eventually(() => got.length === 2, 'two matching notifications');
          await sleep(200);
          expect(got).toEqual(['compute.instance.delete', 'compute.instance.create']);
        },
        testTimeout,
      );
    });
  });
}
