import { createRequire } from 'node:module';
import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import { ConfigurationError, MalformedMessage } from '@oslo-messaging/core';

/**
 * kombu's message compression (`kombu_compression`): the body is compressed and the `compression`
 * header names the content type. Names as kombu registers them: `gzip` and `zlib` are zlib streams
 * (`application/x-gzip`, not the gzip file format), `bz2`/`bzip2` bzip2, `brotli` Brotli.
 */
const TYPES: Readonly<Record<string, string>> = {
  gzip: 'application/x-gzip',
  zlib: 'application/x-gzip',
  bz2: 'application/x-bz2',
  bzip2: 'application/x-bz2',
  bzip: 'application/x-bz2',
  lzma: 'application/x-lzma',
  xz: 'application/x-lzma',
  brotli: 'application/x-brotli',
};

/** What we can write: Node has zlib and Brotli built in; bzip2 and LZMA would need native code. */
const WRITERS: Readonly<Record<string, (body: Buffer) => Buffer>> = {
  'application/x-gzip': (b) => deflateSync(b),
  'application/x-brotli': (b) => brotliCompressSync(b),
};

type SeekBzip = { decode(input: Buffer): Buffer };
let bzip: SeekBzip | undefined;

/** What we can read: the writers, plus bzip2 (pure JavaScript decoder), which Python peers may send. */
const READERS: Readonly<Record<string, (body: Buffer) => Buffer>> = {
  'application/x-gzip': (b) => inflateSync(b),
  'application/x-brotli': (b) => brotliDecompressSync(b),
  'application/x-bz2': (b) => (bzip ??= createRequire(import.meta.url)('seek-bzip') as SeekBzip).decode(b),
};

/** A body compressor for the `kombu_compression` option, or undefined when it is empty. */
export interface Compressor {
  /** The `compression` header value. */
  readonly contentType: string;
  compress(body: Buffer): Buffer;
}

/** Validates `kombu_compression` and returns its compressor (ConfigurationError for what cannot be written here). */
export function compressorFor(option: string): Compressor | undefined {
  if (option === '') return undefined;
  const contentType = TYPES[option];
  if (!contentType)
    throw new ConfigurationError(
      `kombu_compression: unknown compression "${option}" (known: ${Object.keys(TYPES).join(', ')})`,
    );
  const write = WRITERS[contentType];
  if (!write) {
    throw new ConfigurationError(
      `kombu_compression: "${option}" cannot be written by this driver (Node.js has no ${option} encoder); use gzip. Messages compressed with it by Python peers are still read.`,
    );
  }
  return { contentType, compress: write };
}

/** The body of a received message, decompressed when its `compression` header says so. */
export function decompressed(body: Buffer, header: unknown): Buffer {
  if (header === undefined || header === null || header === '') return body;
  const read = READERS[String(header)];
  if (!read) throw new MalformedMessage(`Unsupported message compression "${String(header)}"`);
  try {
    return read(body);
  } catch (err) {
    throw new MalformedMessage(`The message body is not valid ${String(header)} data: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
