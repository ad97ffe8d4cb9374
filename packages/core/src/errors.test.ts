import { describe, expect, it } from 'vitest';
import {
  ClientSendError,
  DriverLoadFailure,
  ERROR_CLASSES,
  ExecutorLoadFailure,
  ExpectedException,
  InvalidTarget,
  InvalidTransportURL,
  MalformedMessage,
  MessagingException,
  MessagingServerError,
  MessagingTimeout,
  NoSuchMethod,
  PluginLoadFailure,
  RemoteError,
  RPCDispatcherError,
  RPCVersionCapError,
  TransportDriverError,
  UnsupportedEnvelopeVersion,
  UnsupportedVersion,
} from './errors.js';

const KINDS = Symbol.for('oslo.messaging.errorKinds');

/** What an error made by another copy of core looks like: a plain Error with the same registered brand. */
function fromOtherCopy(name: string, kinds: string[], message = 'from the other copy'): Error {
  const e = new Error(message);
  e.name = name;
  Object.defineProperty(e, KINDS, { value: Object.freeze(kinds), enumerable: false });
  return e;
}

describe('error classes', () => {
  it('each has a unique OSLO_ code and a name equal to its class name', () => {
    const codes = ERROR_CLASSES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const C of ERROR_CLASSES) {
      expect(C.code).toMatch(/^OSLO_[A-Z_]+$/);
      expect(Object.prototype.hasOwnProperty.call(C, 'code')).toBe(true); // not inherited from a parent
    }
  });

  it('instances carry name, code, message and the Error prototype chain', () => {
    const e = new MessagingTimeout('no reply in 60 s');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(MessagingException);
    expect(e.name).toBe('MessagingTimeout');
    expect(e.code).toBe('OSLO_MESSAGING_TIMEOUT');
    expect(e.message).toBe('no reply in 60 s');
    expect(e.stack).toContain('MessagingTimeout');
    expect(String(e)).toBe('MessagingTimeout: no reply in 60 s');
  });

  it('follows the oslo hierarchy', () => {
    expect(new DriverLoadFailure('x', 'g', 'n')).toBeInstanceOf(PluginLoadFailure);
    expect(new ExecutorLoadFailure('x', 'pool')).toBeInstanceOf(MessagingServerError);
    expect(new NoSuchMethod('m')).toBeInstanceOf(RPCDispatcherError);
    expect(new UnsupportedVersion('2.0', 'm')).toBeInstanceOf(MessagingServerError);
    expect(new UnsupportedEnvelopeVersion('x')).toBeInstanceOf(MalformedMessage);
    expect(new MessagingTimeout('x')).not.toBeInstanceOf(MessagingServerError);
    expect(new NoSuchMethod('m')).not.toBeInstanceOf(UnsupportedVersion);
  });

  it('uses oslo messages', () => {
    expect(new NoSuchMethod('ping').message).toBe('Endpoint does not support RPC method ping');
    expect(new UnsupportedVersion('2.0', 'echo').message).toBe(
      'Endpoint does not support RPC version 2.0. Attempted method: echo',
    );
    expect(new UnsupportedVersion('2.0').message).toBe(
      'Endpoint does not support RPC version 2.0. Attempted method: None',
    );
    expect(new RPCVersionCapError('2.1', '2.0').message).toMatch(
      /^Requested message version, 2.1 is incompatible\. .* version cap 2\.0\.$/,
    );
    expect(new RemoteError('ValueError', 'bad', 'tb\n').message).toBe('Remote error: ValueError bad\ntb\n.');
    expect(new InvalidTarget('A topic is required to send', '<Target >').message).toBe(
      'A topic is required to send: <Target >',
    );
  });

  it('keeps causes and details', () => {
    const cause = new TransportDriverError('channel closed');
    const e = new ClientSendError('<Target topic=t>', cause);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('Failed to send to target "<Target topic=t>": channel closed');
    const original = new RangeError('out of range');
    const x = new ExpectedException(original);
    expect(x.original).toBe(original);
    expect(x.cause).toBe(original);
    const u = new InvalidTransportURL('rabbit://u:pw@h:x/', 'bad port');
    expect(u.url).toBe('rabbit://u:pw@h:x/');
    expect(u.reason).toBe('bad port');
    expect(u.message).toBe('Invalid transport URL "rabbit://u:****@h:x/": bad port');
  });
});

describe('instanceof across two copies of core (brand check)', () => {
  it('recognises an error from another copy by its registered brand', () => {
    const timeout = fromOtherCopy('MessagingTimeout', ['OSLO_MESSAGING_TIMEOUT', 'OSLO_MESSAGING_EXCEPTION']);
    expect(timeout instanceof MessagingTimeout).toBe(true);
    expect(timeout instanceof MessagingException).toBe(true);
    expect(MessagingTimeout.is(timeout)).toBe(true);
    expect(timeout instanceof MessageDeliveryFailureLike()).toBe(false);
    expect(timeout instanceof NoSuchMethod).toBe(false);
    expect(timeout instanceof MessagingServerError).toBe(false);
  });

  it('recognises subclasses through the brand list, and only the kinds listed', () => {
    const nsm = fromOtherCopy('NoSuchMethod', [
      'OSLO_NO_SUCH_METHOD',
      'OSLO_RPC_DISPATCHER_ERROR',
      'OSLO_MESSAGING_SERVER_ERROR',
      'OSLO_MESSAGING_EXCEPTION',
    ]);
    expect(nsm instanceof NoSuchMethod).toBe(true);
    expect(nsm instanceof RPCDispatcherError).toBe(true);
    expect(nsm instanceof MessagingServerError).toBe(true);
    expect(nsm instanceof UnsupportedVersion).toBe(false);
  });

  it('stamps every instance with the codes of its class chain, so the other copy recognises ours', () => {
    const kinds = (new NoSuchMethod('m') as unknown as Record<symbol, unknown>)[KINDS];
    expect(kinds).toEqual([
      'OSLO_NO_SUCH_METHOD',
      'OSLO_RPC_DISPATCHER_ERROR',
      'OSLO_MESSAGING_SERVER_ERROR',
      'OSLO_MESSAGING_EXCEPTION',
    ]);
    expect(Object.isFrozen(kinds)).toBe(true);
    expect(Object.getOwnPropertyDescriptor(new NoSuchMethod('m'), KINDS)?.enumerable).toBe(false);
    expect(JSON.parse(JSON.stringify(new NoSuchMethod('m')))).toEqual({
      name: 'NoSuchMethod',
      code: 'OSLO_NO_SUCH_METHOD',
      method: 'm',
    });
  });

  it('is not fooled by unbranded look-alikes or non-objects', () => {
    const plain = new Error('x');
    plain.name = 'MessagingTimeout';
    expect(plain instanceof MessagingTimeout).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'OSLO_MESSAGING_TIMEOUT' }) instanceof MessagingTimeout).toBe(false);
    expect({ [KINDS]: 'OSLO_MESSAGING_TIMEOUT' } instanceof MessagingTimeout).toBe(false);
    for (const v of [null, undefined, 1, 'OSLO_MESSAGING_TIMEOUT']) expect(MessagingTimeout.is(v)).toBe(false);
  });

  it('keeps ordinary instanceof for user subclasses that add no code of their own', () => {
    class MyTimeout extends MessagingTimeout {}
    const e = new MyTimeout('x');
    expect(e).toBeInstanceOf(MyTimeout);
    expect(e).toBeInstanceOf(MessagingTimeout);
    expect(e.name).toBe('MyTimeout');
    expect(e.code).toBe('OSLO_MESSAGING_TIMEOUT');
    // the brand fallback applies to classes with a code of their own, so a parent's errors are not a MyTimeout
    expect(new MessagingTimeout('y') instanceof MyTimeout).toBe(false);
    expect(
      fromOtherCopy('MessagingTimeout', ['OSLO_MESSAGING_TIMEOUT', 'OSLO_MESSAGING_EXCEPTION']) instanceof MyTimeout,
    ).toBe(false);
  });
});

function MessageDeliveryFailureLike() {
  return ERROR_CLASSES.find((c) => c.name === 'MessageDeliveryFailure')!;
}
