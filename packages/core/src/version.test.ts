import { describe, expect, it } from 'vitest';
import { MessagingException } from './errors.js';
import { assertVersion, SPI_VERSION, versionIsCompatible } from './version.js';

describe('versionIsCompatible (oslo version_is_compatible, reference §9.1)', () => {
  it.each([
    ['1.24', '1.23', true],
    ['1.22', '1.23', false],
    ['2.23', '1.23', false],
    ['1.23', '1.23.1', false],
    ['1.23.2', '1.23.1', true],
    ['1.24', '1.23.1', true],
    ['1.23.0', '1.23', true],
    ['1.0', '1.0', true],
    ['1.0', '2.0', false],
    ['10.2', '1.2', false],
    ['1.10', '1.9', true],
    ['1.9', '1.10', false],
  ] as const)('imp %s, req %s -> %s', (imp, req, expected) => {
    expect(versionIsCompatible(imp, req)).toBe(expected);
  });

  it('treats an absent implementation version as compatible with anything, an absent request as with nothing', () => {
    expect(versionIsCompatible(undefined, '7.3')).toBe(true);
    expect(versionIsCompatible(null, undefined)).toBe(true);
    expect(versionIsCompatible('1.0', undefined)).toBe(false);
    expect(versionIsCompatible('1.0', null)).toBe(false);
  });
});

describe('assertVersion', () => {
  it('accepts major.minor and major.minor.revision', () => {
    for (const v of ['1.0', '2.35', '1.2.3']) expect(() => assertVersion(v)).not.toThrow();
  });

  it('rejects anything else with oslo message', () => {
    for (const v of ['1', '1.', 'a.b', '1.2.3.4', ' 1.0', '1.0-rc1', '']) {
      expect(() => assertVersion(v)).toThrow(MessagingException);
      expect(() => assertVersion(v)).toThrow(`Version must contain a major and minor integer. Got ${v}`);
    }
  });
});

describe('SPI_VERSION', () => {
  it('is 2', () => expect(SPI_VERSION).toBe(2));
});
