import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import type { OsloConfig } from './options-resolver.js';

/**
 * Parses oslo.config INI text: `[section]` headers, `key = value` (or `key: value`), `#` and `;`
 * comment lines, indented continuation lines, and repeated keys (MultiStrOpt) kept as an array.
 * Values stay strings; options are converted by their schema when used.
 *
 * @param source - the file name, for error messages
 * @throws {@link ConfigurationError} on a line that is neither `key = value`, a section nor a comment, or a key
 *   before any section
 */
export function parseOsloConfig(text: string, source = '(text)'): Record<string, Record<string, string | string[]>> {
  const out: Record<string, Record<string, string | string[]>> = {};
  let section: string | undefined;
  let last: { section: string; key: string } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const where = `${source}:${i + 1}`;
    if (/^\s*([#;].*)?$/.test(raw)) {
      last = undefined;
      return;
    }
    if (/^\s/.test(raw) && last) {
      // Continuation of the previous value.
      const cur = out[last.section]![last.key]!;
      const add = raw.trim();
      if (Array.isArray(cur)) cur[cur.length - 1] = `${cur[cur.length - 1]}\n${add}`;
      else out[last.section]![last.key] = `${cur}\n${add}`;
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      section = header[1]!.trim();
      out[section] ??= {};
      last = undefined;
      return;
    }
    const kv = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv)
      throw new ConfigurationError(`${where}: cannot parse "${raw.trim()}" (expected "key = value" or "[section]")`);
    if (!section) throw new ConfigurationError(`${where}: "${kv[1]}" appears before any [section]`);
    const key = kv[1]!.trim();
    let value = kv[2]!.trim();
    if (
      value.length >= 2 &&
      ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
    )
      value = value.slice(1, -1);
    const sect = out[section]!;
    const prev = sect[key];
    sect[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    last = { section, key };
  });
  return out;
}

/**
 * Reads oslo.config files (an existing nova.conf works as it is) into the `config` shape
 * transports take; later files override earlier ones, key by key, as oslo.config does.
 *
 * @example
 * ```ts
 * const transport = await getRpcTransport({ config: loadConfigFiles(['/etc/nova/nova.conf']) });
 * ```
 *
 * @throws {@link ConfigurationError} when a file cannot be read or parsed
 */
export function loadConfigFiles(paths: readonly string[]): OsloConfig {
  const merged: Record<string, Record<string, string | string[]>> = {};
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigurationError(`Cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
    }
    for (const [section, values] of Object.entries(parseOsloConfig(text, path)))
      merged[section] = { ...merged[section], ...values };
  }
  return merged;
}
