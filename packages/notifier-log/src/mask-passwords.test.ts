import { describe, expect, it } from 'vitest';
import { maskPasswordInString, maskSecrets } from './mask-passwords.js';

describe('maskPasswordInString (oslo.utils mask_password)', () => {
  // Expected values are what Python's oslo_utils.strutils.mask_password returns for the same input.
  it.each([
    ['password=abc def', 'password=*** def'],
    ["'adminPass' : 'aaaaa'", "'adminPass' : '***'"],
    ['"password" : "aaaaa"', '"password" : "***"'],
    ['--password d81juxmEW_', '--password ***'],
    ['<password>x</password>', '<password>***</password>'],
    ["token = 'xyz'", "token = '***'"],
    ['my token is fine', 'my token is fine'],
    ['auth_token=abc&x=1', 'auth_token=***'],
    ['nothing to hide', 'nothing to hide'],
  ])('%s -> %s', (input, expected) => {
    expect(maskPasswordInString(input)).toBe(expected);
  });

  it('uses the given replacement', () => {
    expect(maskPasswordInString('password=abc', '???')).toBe('password=???');
  });
});

describe('maskSecrets (oslo.utils mask_dict_password)', () => {
  it('masks values under secret-looking keys, case-insensitively and anywhere in the key', () => {
    expect(
      maskSecrets({ password: 'd81juxmEW_', user: 'admin', AuthToken: 5, db_secret: null, 'home-dir': '/home/admin' }),
    ).toEqual({
      password: '***',
      user: 'admin',
      AuthToken: '***',
      db_secret: '***',
      'home-dir': '/home/admin',
    });
  });

  it('walks nested objects, even under a secret key (as oslo), and masks strings inside values', () => {
    expect(maskSecrets({ password: { a: 1, token: 't' }, user: 'password=12' })).toEqual({
      password: { a: 1, token: '***' },
      user: 'password=***',
    });
  });

  it('walks arrays too (oslo leaves lists alone)', () => {
    expect(maskSecrets({ x: [{ password: 'p' }, 'secret=s'] })).toEqual({ x: [{ password: '***' }, 'secret=***'] });
  });

  it('does not change its input and leaves non-plain objects and primitives alone', () => {
    const when = new Date(0);
    const input = { password: 'p', when, n: 1, ok: true };
    const out = maskSecrets(input);
    expect(input.password).toBe('p');
    expect(out).toEqual({ password: '***', when, n: 1, ok: true });
    expect(out.when).toBe(when);
  });

  it('replaces a cycle instead of looping forever', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(maskSecrets(a)).toEqual({ name: 'a', self: '[Circular]' });
  });

  it('keeps a shared (non-cyclic) object in both places', () => {
    const shared = { v: 1 };
    expect(maskSecrets({ a: shared, b: shared })).toEqual({ a: { v: 1 }, b: { v: 1 } });
  });
});
