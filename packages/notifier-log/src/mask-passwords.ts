/**
 * Masks secrets in a notification before it is logged, the way oslo.utils'
 * `strutils.mask_dict_password` does: values under keys that name a secret are replaced, and
 * strings are scanned for `password=...`-style fragments.
 */

/** Key fragments that mark a secret (oslo.utils' `_SANITIZE_KEYS`); matched case-insensitively anywhere in a key. */
export const SECRET_KEY_FRAGMENTS: readonly string[] = [
  'adminpass',
  'admin_pass',
  'password',
  'admin_password',
  'auth_token',
  'new_pass',
  'auth_password',
  'secret_uuid',
  'secret',
  'sys_pswd',
  'token',
  'configdrive',
  'chappassword',
  'encrypted_key',
  'private_key',
  'fernetkey',
  'sslkey',
  'passphrase',
  'cephclusterfsid',
  'octaviaheartbeatkey',
  'rabbitcookie',
  'cephmanilaclientkey',
  'pacemakerremoteauthkey',
  'designaterndckey',
  'cephadminkey',
  'heatauthencryptionkey',
  'cephclientkey',
  'keystonecredential',
  'barbicansimplecryptokek',
  'cephrgwkey',
  'swifthashsuffix',
  'migrationsshkey',
  'cephmdskey',
  'cephmonkey',
];

/** The default replacement, as in oslo. */
export const DEFAULT_SECRET = '***';

interface StringPatterns {
  /** Patterns whose first and second groups surround the secret (`password="x"`, `<password>x</password>`, ...). */
  readonly enclosed: readonly RegExp[];
  /** Patterns whose first group precedes an unquoted secret (`password=x`). */
  readonly bare: readonly RegExp[];
}

const patternCache = new Map<string, StringPatterns>();

function patternsFor(key: string): StringPatterns {
  let p = patternCache.get(key);
  if (!p) {
    const k = `${key}[0-9]*`;
    const re = (source: string) => new RegExp(source, 'gis');
    p = {
      enclosed: [
        re(`(${k}\\s*=\\s*["'])[^"']*(["'])`),
        re(`(${k}\\s+["'])[^"']*(["'])`),
        re(`(--${k}\\s+)[^'"=\\s]+(\\s*)`),
        re(`(<${k}>)[^<]*(</${k}>)`),
        re(`(["'][^"']*${k}["']\\s*:\\s*u?["'])[^"']*(["'])`),
      ],
      bare: [re(`(${k}\\s*=\\s*)[^\\s'"]+`)],
    };
    patternCache.set(key, p);
  }
  return p;
}

/** Masks `password=...`, `"password": "..."`, `--password ...` and `<password>...</password>` fragments in a string (oslo's `mask_password`). */
export function maskPasswordInString(text: string, secret: string = DEFAULT_SECRET): string {
  const lower = text.toLowerCase();
  let out = text;
  for (const key of SECRET_KEY_FRAGMENTS) {
    if (!lower.includes(key)) continue;
    const { enclosed, bare } = patternsFor(key);
    for (const re of enclosed)
      out = out.replace(re, (_m, before: string, after: string) => `${before}${secret}${after}`);
    for (const re of bare) out = out.replace(re, (_m, before: string) => `${before}${secret}`);
  }
  return out;
}

function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SECRET_KEY_FRAGMENTS.some((fragment) => lower.includes(fragment));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` with secrets masked (oslo's `mask_dict_password`): nested objects are masked
 * recursively (even under a secret-looking key, as in oslo); any other value under a key containing
 * one of {@link SECRET_KEY_FRAGMENTS} becomes `secret`; other strings go through
 * {@link maskPasswordInString}. Unlike oslo, arrays are walked too. Non-plain objects (dates,
 * class instances) are left as they are; a cycle becomes `'[Circular]'`.
 */
export function maskSecrets<T>(value: T, secret: string = DEFAULT_SECRET): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskPasswordInString(v, secret);
    if (Array.isArray(v) || isPlainObject(v)) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
      let out: unknown;
      if (Array.isArray(v)) out = v.map(walk);
      else {
        const obj: Record<string, unknown> = {};
        for (const [k, inner] of Object.entries(v))
          obj[k] = isPlainObject(inner) ? walk(inner) : isSecretKey(k) ? secret : walk(inner);
        out = obj;
      }
      seen.delete(v);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
