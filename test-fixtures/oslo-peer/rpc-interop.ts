// The RPC interop scenarios every driver that Python oslo.messaging also speaks must pass, in both
// directions, against the real Python library (peer.py). Each driver's interop test supplies its
// transports and Python peers; the scenarios are the same wherever the bytes travel.
import { expect } from 'vitest';
import {
  getRpcClient,
  getRpcServer,
  RemoteError,
  type MessageHandlingServer,
  type Transport,
  PythonErrors,
} from '@oslo-messaging/core';
import type { pythonPeers } from './python-peer.js';

export interface InteropContext {
  readonly peers: ReturnType<typeof pythonPeers>;
  /** A new RPC transport for the driver under test (the test cleans it up). */
  readonly rpc: () => Promise<Transport>;
  /** Servers started here go in this list, for the test to stop. */
  readonly servers: MessageHandlingServer[];
}

const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 10)}`;

/** Our client against two Python servers: call, server-targeted call, context, remote errors, NoSuchMethod, version mismatch, server-targeted cast, fanout. */
export async function ourClientToPythonServers({ peers, rpc }: InteropContext): Promise<void> {
  const topic = uniq('py_srv');
  const a = peers.peer(['serve', '--topic', topic, '--server', 'pyA']);
  const b = peers.peer(['serve', '--topic', topic, '--server', 'pyB']);
  await a.until((l) => l.some((x) => x['ready']), 'server A');
  await b.until((l) => l.some((x) => x['ready']), 'server B');
  const client = getRpcClient(await rpc(), { topic, version: '1.1' }, { timeout: 15 });
  expect(await client.call({ user_id: 'ts' }, 'echo', { payload: { a: 1, b: [1, 'x', null] } })).toEqual({
    a: 1,
    b: [1, 'x', null],
  });
  expect(await client.prepare({ server: 'pyB' }).call({}, 'whoami')).toBe('pyB');
  expect(await client.call({ user_id: 'ts-user', roles: ['admin'] }, 'context')).toMatchObject({
    user_id: 'ts-user',
    roles: ['admin'],
  });

  const value = await client.call({}, 'fail', { kind: 'value' }).catch((e: unknown) => e);
  expect(value).toBeInstanceOf(PythonErrors.ValueError);
  expect((value as Error).message).toBe('bad value from python');
  const custom = await client.call({}, 'fail', { kind: 'custom' }).catch((e: unknown) => e);
  expect(custom).toBeInstanceOf(RemoteError);
  expect((custom as RemoteError).excType).toBe('MyPythonError');
  expect((custom as RemoteError).traceback).toContain('Traceback');
  expect(((await client.call({}, 'nope').catch((e: unknown) => e)) as RemoteError).excType).toBe('NoSuchMethod');
  expect(
    (
      (await client
        .prepare({ version: '2.0' })
        .call({}, 'echo', { payload: 1 })
        .catch((e: unknown) => e)) as RemoteError
    ).excType,
  ).toBe('UnsupportedVersion');

  await client.prepare({ server: 'pyA' }).cast({}, 'count', { payload: 'direct' });
  await a.until((l) => l.some((x) => x['cast'] === 'direct'), 'the server-targeted cast');
  await client.prepare({ fanout: true }).cast({}, 'count', { payload: 'everyone' });
  await a.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on A');
  await b.until((l) => l.some((x) => x['cast'] === 'everyone'), 'fanout on B');
  expect(b.lines.some((x) => x['cast'] === 'direct')).toBe(false);
}

class QuotaExceeded extends Error {}

/** The Python client against two of our servers: call, server-targeted call, context, remote errors both ways, NoSuchMethod, version mismatch, server-targeted cast, fanout. */
export async function pythonClientToOurServers({ peers, rpc, servers }: InteropContext): Promise<void> {
  const topic = uniq('ts_srv');
  const t = await rpc();
  const got: Record<string, string[]> = { tsA: [], tsB: [] };
  for (const name of ['tsA', 'tsB']) {
    const s = getRpcServer(t, { topic, server: name }, [
      {
        target: { version: '1.3' },
        echo: (_c: unknown, { payload }: { payload: unknown }) => payload,
        whoami: () => name,
        context: (ctxt: unknown) => ctxt,
        count: (_c: unknown, { payload }: { payload: string }) => void got[name]!.push(payload),
        value_error: () => {
          throw new PythonErrors.ValueError('bad value from typescript');
        },
        quota: () => {
          throw new QuotaExceeded('over quota');
        },
      },
    ]);
    await s.start();
    servers.push(s);
  }
  const { python } = peers;
  const error = async (args: string[]) =>
    (await python(['call', '--topic', topic, ...args]))['error'] as Record<string, unknown>;
  expect(await python(['call', '--topic', topic, '--method', 'echo', '--args', '{"payload": {"x": [1, 2]}}'])).toEqual({
    result: { x: [1, 2] },
  });
  expect(await python(['call', '--topic', topic, '--server', 'tsB', '--method', 'whoami'])).toEqual({ result: 'tsB' });
  expect((await python(['call', '--topic', topic, '--method', 'context']))['result']).toMatchObject({
    user_id: 'py-user',
    project_id: 'py-project',
    client_timeout: null,
  });
  expect(await error(['--method', 'value_error'])).toMatchObject({
    is_value_error: true,
    message: 'bad value from typescript',
  });
  expect(await error(['--method', 'quota'])).toMatchObject({ is_remote_error: true, exc_type: 'QuotaExceeded' });
  expect((await error(['--method', 'nope']))['exc_type']).toBe('NoSuchMethod');
  expect((await error(['--version', '2.0', '--method', 'echo', '--args', '{"payload": 1}']))['exc_type']).toBe(
    'UnsupportedVersion',
  );

  await python([
    'call',
    '--topic',
    topic,
    '--server',
    'tsA',
    '--cast',
    '--method',
    'count',
    '--args',
    '{"payload": "direct"}',
  ]);
  await python([
    'call',
    '--topic',
    topic,
    '--fanout',
    '--cast',
    '--method',
    'count',
    '--args',
    '{"payload": "everyone"}',
  ]);
  await expect.poll(() => got['tsA']!.length === 2 && got['tsB']!.length === 1, { timeout: 15_000 }).toBe(true);
  expect(got['tsA']!.sort()).toEqual(['direct', 'everyone']);
  expect(got['tsB']).toEqual(['everyone']);
}
