import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClientSendError,
  InvalidTarget,
  MessagingException,
  MessagingTimeout,
  RPCVersionCapError,
  TransportDriverError,
} from '../errors.js';
import { silentLogger } from '../logger.js';
import { PluginRegistry } from '../plugins/registry.js';
import type { Serializer } from '../serializer.js';
import { defineDriver } from '../spi/define.js';
import type { Context, Driver, RpcRequest, SendOptions } from '../spi/driver.js';
import { ENTRY_POINT_GROUPS } from '../spi/entry-point.js';
import { Target } from '../target.js';
import { getRpcTransport, type Transport } from '../transport.js';
import { getRpcClient } from './client.js';

/** What the in-test driver was asked to send. */
interface Sent {
  target: Target;
  ctxt: Context;
  request: RpcRequest;
  options: SendOptions;
}

let sent: Sent[];
let reply: (s: Sent) => unknown;
/** What the driver resolves a cast with (nothing, as a driver should, when undefined). */
let castResult: unknown;

const memDriver = defineDriver({
  name: 'mem',
  create(): Driver {
    return {
      async send(target, ctxt, request, options) {
        const s = { target, ctxt, request, options };
        sent.push(s);
        return options.waitForReply ? reply(s) : castResult;
      },
      async sendNotification() {},
      async listen() {
        throw new Error('not used');
      },
      async listenForNotifications() {
        throw new Error('not used');
      },
      async cleanup() {},
    };
  },
});

let transport: Transport;

beforeEach(async () => {
  sent = [];
  castResult = undefined;
  reply = (s) => ({ echoed: s.request.args });
  const registry = new PluginRegistry();
  registry.register(ENTRY_POINT_GROUPS.drivers, 'mem', memDriver);
  transport = await getRpcTransport({ url: 'mem://', plugins: registry, logger: silentLogger, rpcResponseTimeout: 12 });
});

afterEach(async () => {
  await transport.cleanup();
});

describe('RPCClient.call and cast', () => {
  it('sends {method, args} to the target and resolves with the reply', async () => {
    const client = getRpcClient(transport, { topic: 'compute' });
    expect(await client.call({ user: 'u' }, 'echo', { x: 1 })).toEqual({ echoed: { x: 1 } });
    expect(sent).toHaveLength(1);
    const s = sent[0]!;
    expect(s.target.equals({ topic: 'compute' })).toBe(true);
    expect(s.ctxt).toEqual({ user: 'u' });
    expect(s.request).toEqual({ method: 'echo', args: { x: 1 } });
    expect(s.options).toMatchObject({ waitForReply: true, timeout: 12 });
  });

  it('casts without waiting, with no timeout', async () => {
    await getRpcClient(transport, { topic: 't', server: 's' }).cast({}, 'go');
    expect(sent[0]!.request).toEqual({ method: 'go', args: {} });
    expect(sent[0]!.options.waitForReply).toBe(false);
    expect(sent[0]!.options.timeout).toBeUndefined();
  });

  it('a cast resolves with nothing, whatever its driver resolved with', async () => {
    castResult = { driver: 'detail' };
    expect(await getRpcClient(transport, { topic: 't' }).cast({}, 'go')).toBeUndefined();
  });

  it('adds namespace and version to the request only when the target has them', async () => {
    await getRpcClient(transport, { topic: 't', namespace: 'ns', version: '1.3' }).call({}, 'm');
    expect(sent[0]!.request).toEqual({ method: 'm', args: {}, namespace: 'ns', version: '1.3' });
  });

  it('passes timeout, retry, call monitor and at-least-once to the driver', async () => {
    const client = getRpcClient(
      transport,
      { topic: 't' },
      { timeout: 5, retry: 2, callMonitorTimeout: 3, atLeastOnce: true },
    );
    await client.call({}, 'm');
    const before = Date.now();
    await client.call({}, 'm');
    const { signal, deadline, ...callOptions } = sent[1]!.options;
    expect(callOptions).toEqual({ waitForReply: true, timeout: 5, retry: 2, callMonitorTimeout: 3, atLeastOnce: true });
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(deadline).toBeGreaterThanOrEqual(before + 5000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 5000);
    // A client with a timeout gives casts a deadline too; its signal is aborted by cleanup.
    await client.cast({}, 'm');
    const { signal: castSignal, deadline: castDeadline, ...castOptions } = sent[2]!.options;
    expect(castOptions).toEqual({ waitForReply: false, retry: 2, atLeastOnce: true });
    expect(castSignal).toBeInstanceOf(AbortSignal);
    expect(castDeadline).toBeGreaterThan(before);
    await getRpcClient(transport, { topic: 't' }).cast({}, 'm');
    expect(sent[3]!.options.deadline).toBeUndefined();
  });

  it('refuses a call to a fanout target (InvalidTarget) but casts to it', async () => {
    const client = getRpcClient(transport, { topic: 't', fanout: true });
    await expect(client.call({}, 'm')).rejects.toThrow(InvalidTarget);
    await expect(client.call({}, 'm')).rejects.toThrow('A call cannot be used with fanout');
    await client.cast({}, 'm');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.target.fanout).toBe(true);
  });

  it('needs a topic to send', async () => {
    await expect(getRpcClient(transport, { server: 's' }).cast({}, 'm')).rejects.toThrow(InvalidTarget);
    expect(sent).toHaveLength(0);
  });

  it('validates the method name and arguments', async () => {
    const client = getRpcClient(transport, { topic: 't' });
    await expect(client.call({}, '')).rejects.toThrow(MessagingException);
    await expect(client.call({}, 42 as unknown as string)).rejects.toThrow(
      'An RPC method name must be a non-empty string',
    );
    await expect(client.call({}, 'm', [1] as unknown as Record<string, unknown>)).rejects.toThrow(
      'Arguments of m must be an object of keyword arguments',
    );
    await expect(client.cast({}, 'm', null as unknown as Record<string, unknown>)).rejects.toThrow(MessagingException);
    expect(sent).toHaveLength(0);
  });

  it('passes remote and timeout errors through, and wraps driver failures in ClientSendError', async () => {
    const client = getRpcClient(transport, { topic: 't' });
    const timeout = new MessagingTimeout('Timed out waiting for a reply');
    reply = () => Promise.reject(timeout);
    await expect(client.call({}, 'm')).rejects.toBe(timeout);
    const driverErr = new TransportDriverError('channel closed');
    reply = () => Promise.reject(driverErr);
    const err = await client.call({}, 'm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientSendError);
    expect((err as ClientSendError).cause).toBe(driverErr);
    expect((err as ClientSendError).message).toContain('channel closed');
  });
});

describe('RPCClient.prepare', () => {
  it('returns a new client with target fields and options replaced, leaving the original alone', async () => {
    const base = getRpcClient(transport, { topic: 't', version: '1.0' }, { timeout: 30 });
    const p = base.prepare({ server: 'host1', version: '1.2', timeout: 2 });
    expect(p).not.toBe(base);
    expect(p.target.toJSON()).toEqual({ topic: 't', server: 'host1', version: '1.2' });
    expect(p.options.timeout).toBe(2);
    expect(base.target.toJSON()).toEqual({ topic: 't', version: '1.0' });
    expect(base.options.timeout).toBe(30);
    await p.call({}, 'm');
    expect(sent[0]!.options.timeout).toBe(2);
    expect(sent[0]!.target.server).toBe('host1');
  });

  it('keeps options not given, and can clear one with an explicit undefined', () => {
    const base = getRpcClient(transport, { topic: 't' }, { timeout: 30, retry: 3 });
    expect(base.prepare({ retry: 0 }).options).toMatchObject({ timeout: 30, retry: 0 });
    expect(base.prepare({ timeout: undefined }).options.timeout).toBeUndefined();
  });

  it('keeps the serializer', async () => {
    const serializer: Serializer = {
      serializeEntity: (_c, e) => `s:${String(e)}`,
      deserializeEntity: (_c, e) => e,
      serializeContext: (c) => c,
      deserializeContext: (c) => c,
    };
    await getRpcClient(transport, { topic: 't' }, { serializer }).prepare({ server: 's' }).cast({}, 'm', { a: 1 });
    expect(sent[0]!.request.args).toEqual({ a: 's:1' });
  });

  it('validates versions', () => {
    expect(() => getRpcClient(transport, { topic: 't', version: '1' })).toThrow(
      'Version must contain a major and minor integer. Got 1',
    );
    expect(() => getRpcClient(transport, { topic: 't' }).prepare({ version: 'x.y' })).toThrow(MessagingException);
  });
});

describe('version cap', () => {
  it('canSendVersion follows version_is_compatible(cap, version)', () => {
    const client = getRpcClient(transport, { topic: 't', version: '1.5' }, { versionCap: '1.5' });
    expect(client.canSendVersion()).toBe(true);
    expect(client.canSendVersion('1.4')).toBe(true);
    expect(client.canSendVersion('1.6')).toBe(false);
    expect(client.canSendVersion('2.0')).toBe(false);
    expect(client.prepare({ version: '1.6' }).canSendVersion()).toBe(false);
    expect(getRpcClient(transport, { topic: 't' }).canSendVersion('99.0')).toBe(true); // no cap
  });

  it('refuses to send above the cap with RPCVersionCapError, before reaching the driver', async () => {
    const client = getRpcClient(transport, { topic: 't' }, { versionCap: '1.2' });
    const err = await client
      .prepare({ version: '1.3' })
      .call({}, 'm')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RPCVersionCapError);
    expect(err).toMatchObject({ version: '1.3', versionCap: '1.2' });
    await expect(client.prepare({ version: '2.0' }).cast({}, 'm')).rejects.toThrow(RPCVersionCapError);
    // no version at all cannot be checked against a cap (oslo: version None is incompatible)
    await expect(client.cast({}, 'm')).rejects.toThrow(RPCVersionCapError);
    expect(sent).toHaveLength(0);
    await client.prepare({ version: '1.1' }).cast({}, 'm');
    expect(sent).toHaveLength(1);
  });
});

describe('serializer on the client', () => {
  it('serializes context and each argument, and deserializes the result', async () => {
    const calls: string[] = [];
    const serializer: Serializer<{ id: number }> = {
      serializeEntity: (c, e) => (calls.push(`se ${c.id}`), { v: e }),
      deserializeEntity: async (c, e) => (calls.push(`de ${c.id}`), ['de', e]),
      serializeContext: (c) => (calls.push('sc'), { request_id: `req-${c.id}` }),
      deserializeContext: () => ({ id: 0 }),
    };
    reply = (s) => s.request.args;
    const result = await getRpcClient(transport, { topic: 't' }, { serializer }).call({ id: 7 }, 'm', { a: 1, b: 2 });
    expect(sent[0]!.ctxt).toEqual({ request_id: 'req-7' });
    expect(sent[0]!.request.args).toEqual({ a: { v: 1 }, b: { v: 2 } });
    expect(result).toEqual(['de', { a: { v: 1 }, b: { v: 2 } }]);
    expect(calls).toEqual(['se 7', 'se 7', 'sc', 'de 7']);
  });
});

describe('the deadline contract (core enforces it whatever the driver does)', () => {
  it('a call whose driver never answers settles with MessagingTimeout by its timeout plus the slack', async () => {
    reply = () => new Promise(() => undefined);
    const t0 = Date.now();
    const err = await getRpcClient(transport, { topic: 't' }, { timeout: 0.3 })
      .call({}, 'hang')
      .catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(MessagingTimeout);
    expect(String(err)).toContain('hang');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 250 + 200);
    expect(sent[0]!.options.signal!.aborted).toBe(true);
  });

  it('cleanup rejects a pending call at once with a typed error and aborts its signal', async () => {
    reply = () => new Promise(() => undefined);
    const pending = getRpcClient(transport, { topic: 't' }, { timeout: 30 }).call({}, 'hang');
    await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await transport.cleanup();
    const err = await pending.catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(100);
    expect(err).toBeInstanceOf(ClientSendError);
    expect((err as ClientSendError).cause).toBeInstanceOf(TransportDriverError);
    expect(sent[0]!.options.signal!.aborted).toBe(true);
    await expect(getRpcClient(transport, { topic: 't' }).cast({}, 'after')).rejects.toBeInstanceOf(ClientSendError);
  });
});
