import { ENTRY_POINT_GROUPS, type EntryPointGroup } from '../spi/entry-point.js';

/** The key in a plugin's package.json that declares its entry points. */
export const MANIFEST_KEY = 'oslo.messaging';

/** One declared entry point: `"<name>": "./dist/file.js#exportName"`. */
export interface ManifestEntry {
  /** The entry-point group, e.g. `oslo.messaging.drivers`. */
  readonly group: EntryPointGroup;
  /** The plugin's name in the group, e.g. `rabbit`. */
  readonly name: string;
  /** Package-relative file, e.g. `./dist/index.js`. */
  readonly file: string;
  /** Named export; `default` when the target has no `#name`. */
  readonly exportName: string;
  /**
   * The plugin SPI version the package was built for (`"spi"` in the block). Packages made before the
   * field existed declare none: they were built for SPI 1.
   */
  readonly spi: number;
}

const GROUPS = new Set<string>(Object.values(ENTRY_POINT_GROUPS));

/**
 * Reads the `"oslo.messaging"` block of a package.json:
 * `{ "schema": 1, "spi": 2, "entryPoints": { "<group>": { "<name>": "./dist/x.js#export" } } }`.
 * Returns `undefined` when the package declares none; throws a descriptive Error when it is malformed.
 */
export function readManifest(pkgName: string, packageJson: Record<string, unknown>): ManifestEntry[] | undefined {
  const block = packageJson[MANIFEST_KEY];
  if (block === undefined) return undefined;
  const where = `${pkgName}: package.json "${MANIFEST_KEY}"`;
  if (typeof block !== 'object' || block === null) throw new Error(`${where} must be an object`);
  const { schema, spi = 1, entryPoints } = block as { schema?: unknown; spi?: unknown; entryPoints?: unknown };
  if (schema !== 1) throw new Error(`${where}.schema must be 1 (got ${JSON.stringify(schema)})`);
  if (typeof spi !== 'number' || !Number.isInteger(spi) || spi < 1)
    throw new Error(`${where}.spi must be a plugin SPI version, a positive integer (got ${JSON.stringify(spi)})`);
  if (typeof entryPoints !== 'object' || entryPoints === null)
    throw new Error(`${where}.entryPoints must be an object`);
  const out: ManifestEntry[] = [];
  for (const [group, names] of Object.entries(entryPoints)) {
    if (!GROUPS.has(group))
      throw new Error(`${where}: unknown entry point group "${group}" (known: ${[...GROUPS].join(', ')})`);
    if (typeof names !== 'object' || names === null)
      throw new Error(`${where}.entryPoints["${group}"] must be an object`);
    for (const [name, target] of Object.entries(names as Record<string, unknown>)) {
      if (typeof target !== 'string') throw new Error(`${where}: target of ${group}:${name} must be a string`);
      const [file = '', exportName = 'default', ...extra] = target.split('#');
      if (extra.length > 0 || !file.startsWith('./') || file.split('/').includes('..')) {
        throw new Error(
          `${where}: target "${target}" of ${group}:${name} must look like "./path/in/package.js#exportName"`,
        );
      }
      out.push({ group: group as EntryPointGroup, name, file, exportName, spi });
    }
  }
  return out;
}
