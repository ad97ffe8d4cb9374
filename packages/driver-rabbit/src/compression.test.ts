import { ConfigurationError, MalformedMessage } from '@oslo-messaging/core';
import { describe, expect, it } from 'vitest';
import { compressorFor, decompressed } from './compression.js';

// Made by Python (what kombu sends with kombu_compression = bz2 / gzip).
const PY_BZ2 = Buffer.from(
  '425a6839314159265359f3c998db00000a9980500150100225990a2000314c001342207a8f50d940aede75d261b8c241307c3e2ee48a70a121e79331b6',
  'hex',
);
const PY_ZLIB_HI = Buffer.from('789ccbc80400013b00d2', 'hex');

describe('kombu_compression', () => {
  it('is off when empty', () => {
    expect(compressorFor('')).toBeUndefined();
    expect(decompressed(Buffer.from('plain'), undefined).toString()).toBe('plain');
  });

  it('gzip (and its alias zlib) writes zlib streams under application/x-gzip, as kombu does', () => {
    for (const name of ['gzip', 'zlib']) {
      const c = compressorFor(name)!;
      expect(c.contentType).toBe('application/x-gzip');
      const body = c.compress(Buffer.from('{"oslo.version": "2.0"}'));
      expect(body[0]).toBe(0x78); // zlib header, not the gzip file format (0x1f 0x8b)
      expect(decompressed(body, 'application/x-gzip').toString()).toBe('{"oslo.version": "2.0"}');
    }
    expect(decompressed(PY_ZLIB_HI, 'application/x-gzip').toString()).toBe('hi');
  });

  it('reads bzip2 from Python peers but refuses to write it, with a reason', () => {
    expect(decompressed(PY_BZ2, 'application/x-bz2').toString()).toBe('{"oslo.version": "2.0"}');
    expect(() => compressorFor('bz2')).toThrow(ConfigurationError);
    expect(() => compressorFor('bz2')).toThrow(/no bz2 encoder\); use gzip/);
  });

  it('brotli round-trips; unknown names and unreadable bodies are typed errors', () => {
    const c = compressorFor('brotli')!;
    expect(decompressed(c.compress(Buffer.from('x'.repeat(100))), c.contentType).toString()).toBe('x'.repeat(100));
    expect(() => compressorFor('snappy')).toThrow(/unknown compression "snappy"/);
    expect(() => decompressed(Buffer.from('nope'), 'application/x-lzma')).toThrow(MalformedMessage);
    expect(() => decompressed(Buffer.from('not zlib'), 'application/x-gzip')).toThrow(MalformedMessage);
  });
});
