import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedMessage, MessagingTimeout, NoSuchMethod, RemoteError, UnsupportedVersion } from '../errors.js';
import './core-remote-errors.js';
import { deserializeEnvelope } from './envelope.js';
import {
  createRemoteErrorCodec,
  deserializeRemoteException,
  registerRemoteErrors,
  serializeRemoteException,
  toFailure,
} from './failure.js';
import { KeyError, ValueError } from './python-errors.js';

interface Capture {
  scenario: string;
  body_raw: string;
}
const CAPTURES = JSON.parse(
  readFileSync(new URL('../../../../test-fixtures/oslo-wire/rabbit-messages.json', import.meta.url), 'utf8'),
) as Capture[];
/** The failure string of a captured Python reply. */
const captured = (scenario: string) =>
  deserializeEnvelope(CAPTURES.find((c) => c.scenario === scenario)!.body_raw)['failure'] as string;
const DISPATCHER = 'oslo_messaging.rpc.dispatcher';

describe('Python failures deserialize to our classes', () => {
  it('a builtins ValueError becomes ValueError whatever the allowed modules, with traceback and args', () => {
    const err = deserializeRemoteException(captured('rpc-reply-failure-builtin'), []);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toBe('bad value from python');
    const e = err as ValueError & { remoteTraceback: string[]; remoteModule: string };
    expect(e.args).toEqual(['bad value from python']);
    expect(e.kwargs).toEqual({});
    expect(e.remoteModule).toBe('builtins');
    expect(e.remoteTraceback[0]).toBe('Traceback (most recent call last):\n');
    expect(e.remoteTraceback.at(-1)).toBe('ValueError: bad value from python\n');
  });

  it('NoSuchMethod becomes RemoteError unless oslo_messaging.rpc.dispatcher is allowed', () => {
    const failure = captured('rpc-reply-failure-nosuchmethod');
    const remote = deserializeRemoteException(failure, []);
    expect(remote).toBeInstanceOf(RemoteError);
    expect(remote).not.toBeInstanceOf(NoSuchMethod);
    const r = remote as RemoteError;
    expect(r.excType).toBe('NoSuchMethod');
    expect(r.value).toBe('Endpoint does not support RPC method no_such_method');
    expect(r.module).toBe(DISPATCHER);
    expect(r.traceback).toContain('raise NoSuchMethod(method)');
    expect(r.message).toMatch(
      /^Remote error: NoSuchMethod Endpoint does not support RPC method no_such_method\nTraceback/,
    );

    const local = deserializeRemoteException(failure, [DISPATCHER]);
    expect(local).toBeInstanceOf(NoSuchMethod);
    expect((local as NoSuchMethod).method).toBe('no_such_method');
    expect(local.message).toBe('Endpoint does not support RPC method no_such_method');
  });

  it('UnsupportedVersion becomes RemoteError or UnsupportedVersion with version and method', () => {
    const failure = captured('rpc-reply-failure-unsupportedversion');
    expect(deserializeRemoteException(failure, [])).toBeInstanceOf(RemoteError);
    const local = deserializeRemoteException(failure, ['other.module', DISPATCHER]) as UnsupportedVersion;
    expect(local).toBeInstanceOf(UnsupportedVersion);
    expect(local.version).toBe('2.0');
    expect(local.method).toBe('echo');
    expect(local.message).toBe('Endpoint does not support RPC version 2.0. Attempted method: echo');
  });

  it('accepts the failure as an object too, and the Python 2 "exceptions" module as builtins', () => {
    const f = { class: 'KeyError', module: 'exceptions', message: "'k'", tb: [], args: ['k'], kwargs: {} };
    const err = deserializeRemoteException(f, []);
    expect(err).toBeInstanceOf(KeyError);
    expect((err as KeyError).args).toEqual(['k']);
  });

  it('maps Python TypeError and Exception to the JavaScript natives', () => {
    expect(deserializeRemoteException({ class: 'TypeError', module: 'builtins', message: 'm' }, [])).toBeInstanceOf(
      TypeError,
    );
    const e = deserializeRemoteException({ class: 'Exception', module: 'builtins', message: 'm' }, []);
    expect(e.constructor).toBe(Error);
  });

  it('turns unknown classes, unknown builtins and unregistered allowed modules into RemoteError', () => {
    expect(deserializeRemoteException({ class: 'Weird', module: 'builtins', message: 'm' }, [])).toBeInstanceOf(
      RemoteError,
    );
    expect(
      deserializeRemoteException({ class: 'Missing', module: 'nova.exception', message: 'm' }, ['nova.exception']),
    ).toBeInstanceOf(RemoteError);
    expect(
      deserializeRemoteException({ class: 'MessagingTimeout', module: 'oslo_messaging.exceptions', message: 'm' }, []),
    ).toBeInstanceOf(RemoteError);
    expect(
      deserializeRemoteException({ class: 'MessagingTimeout', module: 'oslo_messaging.exceptions', message: 'm' }, [
        'oslo_messaging.exceptions',
      ]),
    ).toBeInstanceOf(MessagingTimeout);
  });

  it('re-creates classes registered by an application for its own allowed module', () => {
    class InstanceNotFound extends Error {}
    registerRemoteErrors('nova.exception', { InstanceNotFound });
    const err = deserializeRemoteException(
      { class: 'InstanceNotFound', module: 'nova.exception', message: 'gone', args: [], kwargs: { code: 404 } },
      ['nova.exception'],
    );
    expect(err).toBeInstanceOf(InstanceNotFound);
    expect((err as unknown as { kwargs: unknown }).kwargs).toEqual({ code: 404 });
    expect(
      deserializeRemoteException({ class: 'InstanceNotFound', module: 'nova.exception', message: 'gone' }, []),
    ).toBeInstanceOf(RemoteError);
    // and ours travel under that module
    expect(toFailure(new InstanceNotFound('x'))).toMatchObject({ class: 'InstanceNotFound', module: 'nova.exception' });
  });

  it('falls back to RemoteError when a custom rebuild throws', () => {
    class Picky extends Error {}
    registerRemoteErrors('picky', {
      Picky: Object.assign(Picky, {
        fromRemote: () => {
          throw new Error('no');
        },
      }),
    });
    expect(deserializeRemoteException({ class: 'Picky', module: 'picky', message: 'm' }, ['picky'])).toBeInstanceOf(
      RemoteError,
    );
  });

  it('throws MalformedMessage for failures that are not JSON objects', () => {
    expect(() => deserializeRemoteException('not json', [])).toThrow(MalformedMessage);
    expect(() => deserializeRemoteException('42', [])).toThrow('Remote failure is not a JSON object');
  });
});

describe('our errors serialize to oslo failures', () => {
  it('core errors carry their oslo class and module', () => {
    expect(toFailure(new NoSuchMethod('ping'))).toMatchObject({
      class: 'NoSuchMethod',
      module: DISPATCHER,
      message: 'Endpoint does not support RPC method ping',
      args: ['Endpoint does not support RPC method ping'],
      kwargs: {},
    });
    expect(toFailure(new UnsupportedVersion('2.0', 'echo'))).toMatchObject({
      class: 'UnsupportedVersion',
      module: DISPATCHER,
    });
    expect(toFailure(new MessagingTimeout('t'))).toMatchObject({
      class: 'MessagingTimeout',
      module: 'oslo_messaging.exceptions',
    });
  });

  it('Python stand-ins and JavaScript natives travel as builtins', () => {
    expect(toFailure(new ValueError('v'))).toMatchObject({
      class: 'ValueError',
      module: 'builtins',
      message: 'v',
      args: ['v'],
    });
    expect(toFailure(new KeyError('k'))).toMatchObject({ class: 'KeyError', module: 'builtins' });
    expect(toFailure(new TypeError('t'))).toMatchObject({ class: 'TypeError', module: 'builtins' });
    expect(toFailure(new RangeError('r'))).toMatchObject({ class: 'ValueError', module: 'builtins' });
    expect(toFailure(new Error('e'))).toMatchObject({ class: 'Exception', module: 'builtins' });
  });

  it('anything else travels under __main__, and non-errors as Exception', () => {
    class QuotaExceeded extends Error {}
    expect(toFailure(new QuotaExceeded('q'))).toMatchObject({ class: 'QuotaExceeded', module: '__main__' });
    expect(toFailure('just a string')).toMatchObject({
      class: 'Exception',
      module: 'builtins',
      message: 'just a string',
    });
  });

  it('writes the traceback as lines ending in newline, and keeps a remote traceback when relaying', () => {
    const f = toFailure(new ValueError('v'));
    expect(f.tb.length).toBeGreaterThan(0);
    for (const line of f.tb) expect(line.endsWith('\n')).toBe(true);
    const relayed = deserializeRemoteException(captured('rpc-reply-failure-builtin'), []);
    expect(toFailure(relayed).tb.at(-1)).toBe('ValueError: bad value from python\n');
  });

  it('strips the _Remote suffix from class and module like oslo', () => {
    class Boom_Remote extends Error {}
    Object.defineProperty(Boom_Remote, 'remoteModule', { value: 'mod_Remote' });
    expect(toFailure(new Boom_Remote('b'))).toMatchObject({ class: 'Boom', module: 'mod' });
  });

  it('keeps args and kwargs JSON-safe', () => {
    const e = Object.assign(new ValueError('v'), { args: ['v', 2], kwargs: { when: new Date(0) } });
    const f = toFailure(e);
    expect(f.args).toEqual(['v', 2]);
    expect(f.kwargs).toEqual({ when: '1970-01-01T00:00:00.000Z' });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(toFailure(Object.assign(new Error('c'), { kwargs: cyclic })).kwargs).toEqual({});
  });

  it('round-trips through the codec', () => {
    const codec = createRemoteErrorCodec([DISPATCHER]);
    const back = codec.deserialize(codec.serialize(new NoSuchMethod('ping')));
    expect(back).toBeInstanceOf(NoSuchMethod);
    expect((back as NoSuchMethod).method).toBe('ping');
    expect(createRemoteErrorCodec([]).deserialize(codec.serialize(new NoSuchMethod('ping')))).toBeInstanceOf(
      RemoteError,
    );
  });

  it('is understood by Python oslo.messaging deserialize_remote_exception', () => {
    const script = [
      'import sys, json',
      'from oslo_messaging import exceptions',
      'from oslo_messaging._drivers import common',
      'out = []',
      'for line in sys.stdin.read().splitlines():',
      '    e = common.deserialize_remote_exception(line, ["oslo_messaging.rpc.dispatcher"])',
      '    out.append([type(e).__name__, [c.__name__ for c in type(e).__mro__], str(e).split("\\n")[0]])',
      'print(json.dumps(out))',
    ].join('\n');
    const input = [new ValueError('bad'), new NoSuchMethod('ping'), new TypeError('tt'), new MessagingTimeout('slow')]
      .map(serializeRemoteException)
      .join('\n');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' })) as [
      string,
      string[],
      string,
    ][];
    expect(out[0]![0]).toMatch(/^ValueError/);
    expect(out[0]![1]).toContain('ValueError');
    expect(out[0]![2]).toBe('bad');
    expect(out[1]![1]).toContain('NoSuchMethod');
    expect(out[1]![2]).toBe('Endpoint does not support RPC method ping');
    expect(out[2]![1]).toContain('TypeError');
    // oslo_messaging.exceptions is not in the allowed list given to Python, so it comes back as RemoteError
    expect(out[3]![0]).toBe('RemoteError');
  });
});
