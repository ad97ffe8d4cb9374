import { describe, expect, it } from 'vitest';
import { ExpectedException, MalformedMessage, NoSuchMethod, UnsupportedVersion } from '../errors.js';
import type { Serializer } from '../serializer.js';
import { Target } from '../target.js';
import {
  DefaultRPCAccessPolicy,
  expose,
  EXPOSED,
  ExplicitRPCAccessPolicy,
  LegacyRPCAccessPolicy,
  type RPCAccessPolicy,
} from './access-policy.js';
import { RPCDispatcher } from './dispatcher.js';
import { expectedExceptions } from './expected-exceptions.js';

type Msg = { method: string; args?: Record<string, unknown>; namespace?: string; version?: string };
const request = (message: Msg, ctxt: Record<string, unknown> = { user: 'u' }) => ({ ctxt, message });

function endpoint(name: string, target?: ConstructorParameters<typeof Target>[0]) {
  return {
    ...(target ? { target: new Target(target) } : {}),
    who: (_c: unknown, _a: unknown) => name,
    echo: (_c: unknown, a: Record<string, unknown>) => ({ by: name, ...a }),
    _private: () => 'secret',
  };
}

describe('RPCDispatcher routing', () => {
  it('calls the method with the context and keyword arguments, and resolves async results', async () => {
    const seen: unknown[] = [];
    const d = new RPCDispatcher([
      { add: async (ctxt: unknown, a: { x: number; y: number }) => (seen.push(ctxt), a.x + a.y) },
    ]);
    expect(await d.dispatch(request({ method: 'add', args: { x: 2, y: 40 } }))).toBe(42);
    expect(seen).toEqual([{ user: 'u' }]);
  });

  it('defaults args to {} and version to 1.0', async () => {
    const d = new RPCDispatcher([{ target: new Target({ version: '1.3' }), args: (_c: unknown, a: unknown) => a }]);
    expect(await d.dispatch(request({ method: 'args' }))).toEqual({});
  });

  it('binds this to the endpoint', async () => {
    class Counter {
      n = 0;
      inc() {
        return ++this.n;
      }
    }
    const c = new Counter();
    const d = new RPCDispatcher([c]);
    await d.dispatch(request({ method: 'inc' }));
    expect(await d.dispatch(request({ method: 'inc' }))).toBe(2);
    expect(c.n).toBe(2);
  });

  it('takes the first endpoint whose namespace and version fit', async () => {
    const d = new RPCDispatcher([
      endpoint('a', { version: '1.1' }),
      endpoint('b', { version: '1.5' }),
      endpoint('c', { version: '2.0' }),
    ]);
    expect(await d.dispatch(request({ method: 'who', version: '1.0' }))).toBe('a');
    expect(await d.dispatch(request({ method: 'who', version: '1.1' }))).toBe('a');
    expect(await d.dispatch(request({ method: 'who', version: '1.4' }))).toBe('b');
    expect(await d.dispatch(request({ method: 'who', version: '2.0' }))).toBe('c');
  });

  it('an endpoint without a target has the null namespace at version 1.0', async () => {
    const d = new RPCDispatcher([endpoint('plain')]);
    expect(await d.dispatch(request({ method: 'who' }))).toBe('plain');
    expect(await d.dispatch(request({ method: 'who', version: '1.0' }))).toBe('plain');
    await expect(d.dispatch(request({ method: 'who', version: '1.1' }))).rejects.toThrow(UnsupportedVersion);
    await expect(d.dispatch(request({ method: 'who', namespace: 'ns' }))).rejects.toThrow(UnsupportedVersion);
  });

  it('routes by namespace, legacy namespaces included', async () => {
    const d = new RPCDispatcher([
      endpoint('base'),
      endpoint('ns', { namespace: 'compute', legacyNamespaces: ['nova'] }),
    ]);
    expect(await d.dispatch(request({ method: 'who' }))).toBe('base');
    expect(await d.dispatch(request({ method: 'who', namespace: 'compute' }))).toBe('ns');
    expect(await d.dispatch(request({ method: 'who', namespace: 'nova' }))).toBe('ns');
    await expect(d.dispatch(request({ method: 'who', namespace: 'other' }))).rejects.toThrow(UnsupportedVersion);
  });

  it('accepts a plain object as target', async () => {
    const d = new RPCDispatcher([{ target: { namespace: 'ns', version: '3.2' }, hi: () => 'hi' }]);
    expect(await d.dispatch(request({ method: 'hi', namespace: 'ns', version: '3.1' }))).toBe('hi');
  });

  it('refuses an endpoint whose target is not an object', () => {
    expect(() => new RPCDispatcher([{ target: 'compute' }])).toThrow(TypeError);
    expect(() => new RPCDispatcher([{ target: 'compute' }])).toThrow('has a "target" attribute that is not a Target');
  });
});

describe('NoSuchMethod vs UnsupportedVersion (oslo §9.1)', () => {
  it('NoSuchMethod when an endpoint fits namespace and version but lacks the method', async () => {
    const d = new RPCDispatcher([endpoint('a', { version: '1.2' })]);
    const err = await d.dispatch(request({ method: 'nope', version: '1.1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSuchMethod);
    expect((err as NoSuchMethod).method).toBe('nope');
    expect((err as Error).message).toBe('Endpoint does not support RPC method nope');
  });

  it('UnsupportedVersion when no endpoint fits, even if one has the method', async () => {
    const d = new RPCDispatcher([endpoint('a', { version: '1.2' })]);
    const err = await d.dispatch(request({ method: 'who', version: '1.3' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedVersion);
    expect(err).toMatchObject({
      version: '1.3',
      method: 'who',
      message: 'Endpoint does not support RPC version 1.3. Attempted method: who',
    });
  });

  it('NoSuchMethod when the only fitting endpoint forbids the method', async () => {
    const d = new RPCDispatcher([endpoint('a')]);
    await expect(d.dispatch(request({ method: '_private' }))).rejects.toThrow(NoSuchMethod);
  });

  it('keeps looking past a fitting endpoint without the method', async () => {
    const d = new RPCDispatcher([{ other: () => 1 }, endpoint('second')]);
    expect(await d.dispatch(request({ method: 'who' }))).toBe('second');
  });

  it('rejects malformed requests', async () => {
    const d = new RPCDispatcher([endpoint('a')]);
    await expect(d.dispatch({ ctxt: {}, message: {} })).rejects.toThrow(MalformedMessage);
    await expect(d.dispatch({ ctxt: {}, message: { method: '' } })).rejects.toThrow('RPC request has no method name');
    await expect(d.dispatch({ ctxt: {}, message: { method: 'who', args: [1] } })).rejects.toThrow(
      'Arguments of who are not an object',
    );
    await expect(d.dispatch({ ctxt: {}, message: { method: 'who', args: 'x' } })).rejects.toThrow(MalformedMessage);
  });
});

describe('access policies', () => {
  const PROTO = [...Object.getOwnPropertyNames(Object.prototype), 'constructor', 'then', 'target'];

  class Service {
    readonly target = new Target({ version: '1.0' });
    then() {
      return 'thenable!';
    }
    public_method() {
      return 'public';
    }
    _underscored() {
      return 'underscored';
    }
    exposed_method = expose(function exposedMethod() {
      return 'exposed';
    });
  }

  it.each([
    ['Default', DefaultRPCAccessPolicy, { public_method: true, _underscored: false, exposed_method: true }],
    ['Explicit', ExplicitRPCAccessPolicy, { public_method: false, _underscored: false, exposed_method: true }],
    ['Legacy', LegacyRPCAccessPolicy, { public_method: true, _underscored: true, exposed_method: true }],
  ] as const)('%s policy', async (_name, policy, allowed) => {
    const d = new RPCDispatcher([new Service()], undefined, policy);
    for (const [method, ok] of Object.entries(allowed)) {
      const r = d.dispatch(request({ method }));
      if (ok) await expect(r).resolves.toBeTypeOf('string');
      else await expect(r).rejects.toThrow(NoSuchMethod);
    }
  });

  it.each([DefaultRPCAccessPolicy, ExplicitRPCAccessPolicy, LegacyRPCAccessPolicy])(
    'never lets Object.prototype members, constructor, then or target be called (%#)',
    async (policy) => {
      const d = new RPCDispatcher([new Service(), {}], undefined, policy);
      for (const method of PROTO) {
        expect(policy.isAllowed(new Service(), method)).toBe(false);
        await expect(d.dispatch(request({ method }))).rejects.toThrow(NoSuchMethod);
      }
    },
  );

  it('refuses non-function properties', async () => {
    const d = new RPCDispatcher([{ data: 42, nested: { f: () => 1 } }], undefined, LegacyRPCAccessPolicy);
    await expect(d.dispatch(request({ method: 'data' }))).rejects.toThrow(NoSuchMethod);
    await expect(d.dispatch(request({ method: 'nested' }))).rejects.toThrow(NoSuchMethod);
  });

  it('uses a custom policy', async () => {
    const onlyPing: RPCAccessPolicy = { isAllowed: (_e, m) => m === 'ping' };
    const d = new RPCDispatcher([{ ping: () => 'pong', other: () => 'x' }], undefined, onlyPing);
    expect(await d.dispatch(request({ method: 'ping' }))).toBe('pong');
    await expect(d.dispatch(request({ method: 'other' }))).rejects.toThrow(NoSuchMethod);
  });
});

describe('expose', () => {
  it('marks the function with the registered symbol and returns it', () => {
    const f = () => 1;
    expect(expose(f)).toBe(f);
    expect((f as unknown as Record<symbol, unknown>)[EXPOSED]).toBe(true);
    expect(EXPOSED).toBe(Symbol.for('oslo.messaging.exposed'));
  });

  it('works as a method decorator (called as the decorator runtime calls it)', async () => {
    class Api {
      hello() {
        return 'hi';
      }
      hidden() {
        return 'no';
      }
    }
    // what \`@expose hello() {}\` does; the test runner's transform does not take decorator syntax
    Api.prototype.hello = expose(Api.prototype.hello, { kind: 'method', name: 'hello' } as ClassMethodDecoratorContext);
    const d = new RPCDispatcher([new Api()], undefined, ExplicitRPCAccessPolicy);
    expect(await d.dispatch(request({ method: 'hello' }))).toBe('hi');
    await expect(d.dispatch(request({ method: 'hidden' }))).rejects.toThrow(NoSuchMethod);
  });
});

describe('expectedExceptions', () => {
  class NotFound extends Error {}

  it('wraps listed errors (and subclasses) in ExpectedException, keeping the original', async () => {
    class GoneForGood extends NotFound {}
    const d = new RPCDispatcher([
      {
        find: expectedExceptions(NotFound)(async () => {
          throw new GoneForGood('gone');
        }),
      },
    ]);
    const err = await d.dispatch(request({ method: 'find' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExpectedException);
    expect((err as ExpectedException).original).toBeInstanceOf(GoneForGood);
    expect((err as ExpectedException).message).toBe('gone');
  });

  it('lets other errors through unchanged, and results too', async () => {
    const boom = new RangeError('boom');
    const fail = expectedExceptions(NotFound)(() => {
      throw boom;
    });
    await expect(fail()).rejects.toBe(boom);
    // expectedExceptions keeps the wrapped function's type, but its wrapper is async: it must be awaited.
    // eslint-disable-next-line @typescript-eslint/await-thenable
    expect(await expectedExceptions(NotFound)(() => 7)()).toBe(7);
  });

  it('keeps the expose mark and this', async () => {
    const wrapped = expectedExceptions(NotFound)(
      expose(function (this: unknown) {
        return (this as { n: number }).n;
      }),
    );
    expect((wrapped as unknown as Record<symbol, unknown>)[EXPOSED]).toBe(true);
    const d = new RPCDispatcher([{ n: 5, get: wrapped }], undefined, ExplicitRPCAccessPolicy);
    expect(await d.dispatch(request({ method: 'get' }))).toBe(5);
  });

  it('works as a method decorator (called as the decorator runtime calls it)', async () => {
    class Api {
      find() {
        throw new NotFound('x');
      }
    }
    Api.prototype.find = expectedExceptions(NotFound)(Api.prototype.find, {
      kind: 'method',
      name: 'find',
    } as ClassMethodDecoratorContext);
    await expect(new RPCDispatcher([new Api()]).dispatch(request({ method: 'find' }))).rejects.toThrow(
      ExpectedException,
    );
  });
});

describe('serializer', () => {
  it('deserializes the context and each argument, and serializes the result with the deserialized context', async () => {
    const calls: unknown[][] = [];
    const serializer: Serializer<{ who: string }> = {
      serializeEntity: async (c, e) => (calls.push(['serializeEntity', c, e]), { wrapped: e }),
      deserializeEntity: (c, e) => (calls.push(['deserializeEntity', c, e]), `de(${String(e)})`),
      serializeContext: (c) => ({ ...c }),
      // the dispatcher awaits every serializer method, though the interface types them as synchronous
      deserializeContext: (async (c: Record<string, unknown>) => (
        calls.push(['deserializeContext', c]),
        { who: String(c['user']) }
      )) as unknown as (c: Record<string, unknown>) => { who: string },
    };
    let got: unknown;
    const d = new RPCDispatcher([{ m: (ctxt: unknown, args: unknown) => ((got = [ctxt, args]), 'res') }], serializer);
    expect(await d.dispatch(request({ method: 'm', args: { a: 1, b: 'x' } }))).toEqual({ wrapped: 'res' });
    expect(got).toEqual([{ who: 'u' }, { a: 'de(1)', b: 'de(x)' }]);
    expect(calls).toEqual([
      ['deserializeContext', { user: 'u' }],
      ['deserializeEntity', { who: 'u' }, 1],
      ['deserializeEntity', { who: 'u' }, 'x'],
      ['serializeEntity', { who: 'u' }, 'res'],
    ]);
  });

  it('does not call the serializer when nothing is dispatched', async () => {
    let called = false;
    const spy = {
      serializeEntity: () => (called = true),
      deserializeEntity: () => (called = true),
      serializeContext: () => ({}),
      deserializeContext: () => ((called = true), {}),
    };
    const d = new RPCDispatcher([endpoint('a', { version: '1.0' })], spy);
    await expect(d.dispatch(request({ method: 'who', version: '9.0' }))).rejects.toThrow(UnsupportedVersion);
    expect(called).toBe(false);
  });

  it('goes on from the argument whose deserialization returned a promise, calling each step once', async () => {
    const calls: string[] = [];
    const serializer: Serializer<Record<string, unknown>> = {
      serializeEntity: (_c, e) => e,
      deserializeEntity: (_c, e) => {
        calls.push(String(e));
        return e === 2 ? Promise.resolve(20) : e;
      },
      serializeContext: (c) => c,
      deserializeContext: (c) => c,
    };
    const d = new RPCDispatcher([{ m: (_c: unknown, a: unknown) => a }], serializer);
    expect(await d.dispatch(request({ method: 'm', args: { a: 1, b: 2, c: 3 } }))).toEqual({ a: 1, b: 20, c: 3 });
    expect(calls).toEqual(['1', '2', '3']);
  });
});

describe("invoke (the server's path)", () => {
  it('returns a plain result at once, a promise for an async method, and throws routing errors synchronously', async () => {
    const d = new RPCDispatcher([{ now: () => 'at once', later: async () => 'later' }]);
    expect(d.invoke(request({ method: 'now' }))).toBe('at once');
    const later = d.invoke(request({ method: 'later' }));
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe('later');
    expect(() => d.invoke(request({ method: 'nope' }))).toThrow(NoSuchMethod);
    expect(() => d.invoke(request({ method: 'now', version: '2.0' }))).toThrow(UnsupportedVersion);
    expect(() => d.invoke({ ctxt: {}, message: { method: 'now', args: [] } })).toThrow(MalformedMessage);
  });

  it('throws what a synchronous method throws; dispatch rejects with it', async () => {
    const boom = new Error('boom');
    const d = new RPCDispatcher([
      {
        fail: () => {
          throw boom;
        },
      },
    ]);
    expect(() => d.invoke(request({ method: 'fail' }))).toThrow(boom);
    await expect(d.dispatch(request({ method: 'fail' }))).rejects.toBe(boom);
  });
});
