import { ConfigurationError } from '../errors.js';
import type { OptionSchema, OptionSpec, ResolvedOptions } from '../spi/options.js';

/** A value as found in an oslo.config file or given in code. */
export type ConfigValue = string | number | boolean | readonly string[] | Readonly<Record<string, string>>;

/** oslo.config-style configuration: section name → option name → value (e.g. `{ DEFAULT: { transport_url: '...' } }`). */
export type OsloConfig = Readonly<Record<string, Readonly<Record<string, ConfigValue>>>>;

/** Converts `snake_case` to `camelCase`. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/**
 * Converts a raw value to the option's type; throws ConfigurationError saying which option and why.
 *
 * @throws {@link ConfigurationError} when the value cannot be converted or is out of range or choices
 */
export function convertOption(group: string, name: string, spec: OptionSpec, raw: unknown, source: string): unknown {
  const bad = (why: string) => new ConfigurationError(`Option ${group}.${name} (from ${source}): ${why}`);
  let value: unknown;
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
        throw bad(`expected a string, got ${JSON.stringify(raw)}`);
      value = String(raw);
      break;
    case 'int':
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw bad(`expected a number, got ${JSON.stringify(raw)}`);
      if (spec.type === 'int' && !Number.isInteger(n)) throw bad(`expected an integer, got ${JSON.stringify(raw)}`);
      if (spec.min !== undefined && n < spec.min) throw bad(`${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`${n} is above the maximum ${spec.max}`);
      value = n;
      break;
    }
    case 'bool':
      if (typeof raw === 'boolean') value = raw;
      else if (typeof raw === 'string' && TRUE.has(raw.trim().toLowerCase())) value = true;
      else if (typeof raw === 'string' && FALSE.has(raw.trim().toLowerCase())) value = false;
      else throw bad(`expected true or false, got ${JSON.stringify(raw)}`);
      break;
    case 'list':
      if (Array.isArray(raw)) value = raw.map(String);
      else if (typeof raw === 'string')
        value = raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      else throw bad(`expected a list, got ${JSON.stringify(raw)}`);
      break;
    case 'dict':
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw))
        value = { ...(raw as Record<string, string>) };
      else if (typeof raw === 'string') {
        const out: Record<string, string> = {};
        for (const item of raw.split(',').filter((s) => s.trim() !== '')) {
          const i = item.indexOf(':');
          if (i < 0) throw bad(`dict item "${item}" is not key:value`);
          out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
        }
        value = out;
      } else throw bad(`expected key:value pairs, got ${JSON.stringify(raw)}`);
      break;
  }
  if (spec.choices && !spec.choices.includes(String(value)))
    throw bad(`${JSON.stringify(value)} is not one of ${spec.choices.join(', ')}`);
  return value;
}

/** Sources of option values, lowest precedence first. */
export interface OptionSources {
  /** An oslo.config configuration; the option group's section is read (e.g. `[oslo_messaging_rabbit]`). */
  readonly config?: OsloConfig | undefined;
  /** Options given in code: snake_case or camelCase keys. */
  readonly code?: Readonly<Record<string, unknown>> | undefined;
  /** The transport URL's query: wins over everything, like oslo's ConfigOptsProxy. */
  readonly query?: Readonly<Record<string, string>> | undefined;
}

/**
 * Resolves the options of one group: schema defaults < config file section < code < URL query.
 * Returns the values keyed by oslo's snake_case names, and the names it understood.
 *
 * @throws {@link index!ConfigurationError} when a value cannot be converted to its option's type or is out of range
 */
export function resolveOptions<S extends OptionSchema>(
  group: string,
  schema: S,
  sources: OptionSources,
): ResolvedOptions<S> {
  const out: Record<string, unknown> = {};
  const section = sources.config?.[group] ?? {};
  for (const [name, spec] of Object.entries(schema)) {
    let value: unknown = spec.default;
    // Deprecated names first, so the current name wins when a source sets both (as oslo.config does).
    const names = [...(spec.deprecatedNames ?? []), name];
    for (const n of names)
      if (section[n] !== undefined)
        value = convertOption(group, name, spec, section[n], `[${group}] ${n} in the config`);
    for (const n of names) {
      const c = sources.code?.[n] ?? sources.code?.[camelCase(n)];
      if (c !== undefined) value = convertOption(group, name, spec, c, 'code');
    }
    for (const n of names)
      if (sources.query?.[n] !== undefined)
        value = convertOption(group, name, spec, sources.query[n], 'the transport URL');
    out[name] = value;
  }
  return out as ResolvedOptions<S>;
}

/** Every name (and deprecated name, and camelCase form) a schema understands. */
export function knownOptionNames(schema: OptionSchema): Set<string> {
  const names = new Set<string>();
  for (const [name, spec] of Object.entries(schema)) {
    for (const n of [name, ...(spec.deprecatedNames ?? [])]) {
      names.add(n);
      names.add(camelCase(n));
    }
  }
  return names;
}
