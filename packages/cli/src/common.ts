import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  loadConfigFiles,
  silentLogger,
  createConsoleLogger,
  type OsloConfig,
  type TransportOptions,
} from '@oslo-messaging/core';
import { UsageError } from './exit-codes.js';

/** Options every command takes. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  'config-file': { type: 'string', multiple: true },
  'control-exchange': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `Common options:
  --url URL              transport URL (default: [DEFAULT] transport_url of the config files,
                         else $OSLO_MESSAGING_TRANSPORT_URL, else rabbit://)
  --config-file FILE     oslo.config file, e.g. /etc/nova/nova.conf (repeatable; later files win)
  --control-exchange X   [DEFAULT] control_exchange (default openstack)
  -v, --verbose          log the library's own messages to stderr
  -h, --help             this help`;

/** Parses argv strictly; unknown options are usage errors. */
type Parsed<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: true; strict: true }>
>;

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Transport options from --url, --config-file and --control-exchange. */
export function transportOptions(values: {
  url?: string | undefined;
  'config-file'?: string[] | undefined;
  'control-exchange'?: string | undefined;
  verbose?: boolean | undefined;
}): TransportOptions {
  const config: OsloConfig = values['config-file'] ? loadConfigFiles(values['config-file']) : {};
  return {
    ...(values.url !== undefined ? { url: values.url } : {}),
    config,
    ...(values['control-exchange'] !== undefined ? { controlExchange: values['control-exchange'] } : {}),
    logger: values.verbose ? createConsoleLogger('debug') : silentLogger,
  };
}

/** `key=value` words into an args object; values that parse as JSON are taken as JSON. */
export function keyValues(words: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const w of words) {
    const i = w.indexOf('=');
    if (i <= 0) throw new UsageError(`argument "${w}" is not key=value`);
    const raw = w.slice(i + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[w.slice(0, i)] = value;
  }
  return out;
}

/** Parses a JSON option, as a usage error when it is not JSON. */
export function jsonOption(name: string, text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A positive number option. */
export function numberOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${text}"`);
  return n;
}
