import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  getRpcTransport,
  implementsApi,
  RemoteError,
  silentLogger,
  type Transport,
  type TypedEndpoint,
} from '../index.js';

interface CalcAPI {
  add(args: { x: number; y: number }): number;
  describe(args: { name: string }): { greeting: string };
  reset(): void;
}

class Calc implements TypedEndpoint<CalcAPI> {
  total = 0;
  add(_ctxt: unknown, { x, y }: { x: number; y: number }) {
    this.total += x + y;
    return x + y;
  }
  async describe(_ctxt: unknown, { name }: { name: string }) {
    return { greeting: `hello ${name}` };
  }
  reset() {
    this.total = 0;
  }
}

describe('typed RPC contracts', () => {
  let transport: Transport;
  const calc = new Calc();
  let server: ReturnType<typeof getRpcServer>;
  beforeAll(async () => {
    transport = await getRpcTransport({ url: `fake:///typed-${Date.now()}`, logger: silentLogger });
    server = getRpcServer(transport, { topic: 'calc', server: 'a' }, [implementsApi<CalcAPI>()(calc)]);
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await server.wait();
    await transport.cleanup();
  });

  it('calls, casts and prepares through the typed handle with plain oslo messages', async () => {
    const api = getRpcClient(transport, { topic: 'calc' }).proxy<CalcAPI>();
    const sum = await api.add({}, { x: 2, y: 3 });
    expectTypeOf(sum).toEqualTypeOf<number>();
    expect(sum).toBe(5);
    expect(await api.prepare({ server: 'a' }).describe({}, { name: 'ada' })).toEqual({ greeting: 'hello ada' });
    await api.cast.reset({});
    for (let i = 0; i < 100 && calc.total !== 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(calc.total).toBe(0);
    // The wire is unchanged: an untyped client reaches the same endpoint.
    expect(await getRpcClient(transport, { topic: 'calc' }).call({}, 'add', { x: 1, y: 1 })).toBe(2);
  });

  it('is never mistaken for a promise and surfaces remote errors as usual', async () => {
    const api = getRpcClient(transport, { topic: 'calc' }, { timeout: 2 }).proxy<CalcAPI & { missing(): void }>();
    expect((api as unknown as { then?: unknown }).then).toBeUndefined();
    await expect(api.missing({})).rejects.toBeInstanceOf(RemoteError);
  });

  it('rejects wrong method names, arguments, results and incomplete endpoints at compile time', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(here, '__fixtures__', 'tsconfig.json')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    // Every @ts-expect-error in the fixture is a real error, and nothing else fails.
    expect(output).toBe('');
  }, 60_000);
});
