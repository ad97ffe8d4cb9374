import { createRequire } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';
import { DriverLoadFailure, ExecutorLoadFailure, PluginLoadFailure } from '../errors.js';
import { ENTRY_POINT_GROUPS, readBrand, type EntryPointGroup } from '../spi/entry-point.js';
import type { PluginOf } from '../spi/plugin-types.js';
import { SPI_VERSION } from '../version.js';
import { candidatePackages, KNOWN_PACKAGES } from './known-packages.js';
import { readManifest, type ManifestEntry } from './manifest.js';
import { declaredDependencies, locatePackage, resolveAppRoot, type LocatedPackage } from './package-locator.js';

const CORE_PACKAGE_NAME = '@oslo-messaging/core';
/** This core's version, read from its own package.json. */
export const CORE_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
const CORE_DIR = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Where a plugin came from. */
export interface PluginSource {
  /** `registered` for explicit registration, else the npm package name. */
  readonly packageName: string;
  /** The package's version. */
  readonly version?: string | undefined;
  /** The entry point, `<file>#<export>`, e.g. `./dist/index.js#rabbitDriver`. */
  readonly target?: string | undefined;
}

/** An entry point known to the registry (nothing imported yet for package entries). */
export interface PluginInfo extends PluginSource {
  /** The entry-point group, e.g. `oslo.messaging.drivers`. */
  readonly group: EntryPointGroup;
  /** The plugin's name in the group, e.g. `rabbit`. */
  readonly name: string;
}

/** Options of a {@link PluginRegistry}. */
export interface PluginRegistryOptions {
  /**
   * The application root to resolve plugins from (a path or `import.meta.url`). Default: the package of the main
   * script (unless that is a tool inside node_modules, like a test runner), else the working directory.
   */
  readonly appRoot?: string | undefined;
}

interface PackageEntry {
  readonly pkg: LocatedPackage;
  readonly entry: ManifestEntry;
}

function failureClass(group: EntryPointGroup) {
  return group === ENTRY_POINT_GROUPS.drivers ? DriverLoadFailure : PluginLoadFailure;
}

function fail(group: EntryPointGroup, name: string, message: string, cause?: unknown): Error {
  if (group === ENTRY_POINT_GROUPS.executors) return new ExecutorLoadFailure(message, name, { cause });
  const Cls = failureClass(group);
  return new Cls(message, group, name, { cause });
}

const WHAT: Record<EntryPointGroup, string> = {
  [ENTRY_POINT_GROUPS.drivers]: 'transport driver',
  [ENTRY_POINT_GROUPS.executors]: 'executor',
  [ENTRY_POINT_GROUPS.notifyDrivers]: 'notification driver',
  [ENTRY_POINT_GROUPS.matchmakers]: 'matchmaker',
  [ENTRY_POINT_GROUPS.metrics]: 'metrics collector',
};

/**
 * Finds and loads plugins, the way stevedore does for Python: explicit registrations first, then
 * the packages the application declares (their package.json `"oslo.messaging"` manifests), then
 * first-party and conventionally named packages. Nothing is imported until a plugin is asked for;
 * loaded plugins are cached.
 */
export class PluginRegistry {
  readonly #explicit = new Map<string, { value: unknown; source: PluginSource }>();
  readonly #loaded = new Map<string, Promise<unknown>>();
  readonly #appRootOption: string | undefined;
  #index: Map<string, PackageEntry[]> | undefined;
  #indexWarnings: string[] = [];

  constructor(options: PluginRegistryOptions = {}) {
    this.#appRootOption = options.appRoot;
  }

  /** The directory plugins are resolved from. */
  get appRoot(): string {
    return resolveAppRoot(this.#appRootOption);
  }

  /**
   * Registers a plugin value directly (for bundled applications and tests). Wins over discovery.
   * The value must carry the brand of `group` (made by `defineDriver` and friends).
   *
   * @throws {@link DriverLoadFailure} (drivers), {@link ExecutorLoadFailure} (executors) or {@link PluginLoadFailure}
   *   (notifier drivers, matchmakers) when the value does not carry the brand of `group` or is for another SPI version
   */
  register(group: EntryPointGroup, name: string, value: unknown): void {
    this.#checkBrand(group, name, value, 'registered');
    const key = `${group}:${name}`;
    this.#explicit.set(key, { value, source: { packageName: 'registered' } });
    this.#loaded.delete(key);
  }

  /** Removes an explicit registration. */
  unregister(group: EntryPointGroup, name: string): void {
    this.#explicit.delete(`${group}:${name}`);
    this.#loaded.delete(`${group}:${name}`);
  }

  /** Forgets the discovery index and loaded plugins (after installing packages at run time). */
  refresh(): void {
    this.#index = undefined;
    this.#loaded.clear();
  }

  /** Problems met while indexing declared dependencies (bad manifests); they never stop lookup of other plugins. */
  get warnings(): readonly string[] {
    this.#getIndex();
    return this.#indexWarnings;
  }

  /** Every plugin of `group` known without importing anything: registered and declared by installed packages. */
  list(group: EntryPointGroup): PluginInfo[] {
    const out = new Map<string, PluginInfo>();
    for (const [key, { source }] of this.#explicit) {
      const [g, name] = splitKey(key);
      if (g === group) out.set(name, { group, name, ...source });
    }
    for (const [key, entries] of this.#getIndex()) {
      const [g, name] = splitKey(key);
      if (g !== group || out.has(name)) continue;
      const first = entries[0]!;
      out.set(name, {
        group,
        name,
        packageName: entries.map((e) => e.pkg.name).join(', '),
        version: first.pkg.json['version'] as string | undefined,
        target: `${first.entry.file}#${first.entry.exportName}`,
      });
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Loads the plugin `name` of `group`, validated (brand, SPI version, peer range on core).
   * Throws `DriverLoadFailure` / `ExecutorLoadFailure` / `PluginLoadFailure` naming what to install.
   *
   * @throws {@link DriverLoadFailure} (drivers), {@link ExecutorLoadFailure} (executors) or {@link PluginLoadFailure}
   *   (notifier drivers, matchmakers), the promise rejecting, when no installed package provides the plugin, two
   *   do, its module fails to import or lacks the export, or it is refused (brand, SPI version, peer range on core)
   */
  load<G extends EntryPointGroup>(group: G, name: string): Promise<PluginOf<G>> {
    return this.#load(group, name) as Promise<PluginOf<G>>;
  }

  /** The plugin, its brand checked against `group` (which is what makes {@link PluginRegistry.load}'s type true). */
  #load(group: EntryPointGroup, name: string): Promise<unknown> {
    const key = `${group}:${name}`;
    const explicit = this.#explicit.get(key);
    if (explicit) return Promise.resolve(explicit.value);
    let loading = this.#loaded.get(key);
    if (!loading) {
      loading = this.#discoverAndLoad(group, name);
      this.#loaded.set(key, loading);
      loading.catch(() => this.#loaded.delete(key));
    }
    return loading;
  }

  async #discoverAndLoad(group: EntryPointGroup, name: string): Promise<unknown> {
    const key = `${group}:${name}`;
    let entries = this.#getIndex().get(key) ?? [];
    if (entries.length === 0) entries = this.#findByConvention(group, name);
    if (entries.length > 1) {
      throw fail(
        group,
        name,
        `Two packages provide the ${WHAT[group]} "${name}": ${entries.map((e) => e.pkg.name).join(' and ')}. Remove one, or register the one you want explicitly with registerPlugin().`,
      );
    }
    const found = entries[0];
    if (!found) throw fail(group, name, this.#notFoundMessage(group, name));
    this.#checkPeerRange(group, name, found.pkg);
    // The real gate: the brand is stamped by whichever core the plugin imports (this one, when core is a
    // shared peer), so only the package's own declaration says which SPI it was written against.
    if (found.entry.spi !== SPI_VERSION) {
      throw fail(
        group,
        name,
        `The ${WHAT[group]} "${name}" from ${found.pkg.name} was built for plugin SPI version ${found.entry.spi} (its package.json "oslo.messaging".spi), but ${CORE_PACKAGE_NAME} ${CORE_VERSION} implements SPI version ${SPI_VERSION}; install a version of it made for this core`,
      );
    }
    const file = resolve(found.pkg.dir, found.entry.file);
    if (relative(found.pkg.dir, file).startsWith('..') || !existsSync(file)) {
      throw fail(
        group,
        name,
        `The ${WHAT[group]} "${name}" of ${found.pkg.name} points at ${found.entry.file}, which does not exist in ${found.pkg.dir}${sep}. Is the package built?`,
      );
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (cause) {
      throw fail(
        group,
        name,
        `Failed to load ${WHAT[group]} "${name}" from ${found.pkg.name}: ${(cause as Error).message}`,
        cause,
      );
    }
    const value = pickExport(mod, found.entry.exportName);
    if (value === undefined) {
      throw fail(
        group,
        name,
        `${found.pkg.name} declares ${WHAT[group]} "${name}" as ${found.entry.file}#${found.entry.exportName}, but that module has no export "${found.entry.exportName}"`,
      );
    }
    this.#checkBrand(group, name, value, found.pkg.name);
    return value;
  }

  #checkBrand(group: EntryPointGroup, name: string, value: unknown, from: string): void {
    const b = readBrand(value);
    if (!b)
      throw fail(
        group,
        name,
        `The ${WHAT[group]} "${name}" from ${from} is not an oslo-messaging plugin (make it with define*() from ${CORE_PACKAGE_NAME})`,
      );
    if (b.group !== group) throw fail(group, name, `"${name}" from ${from} is a plugin for ${b.group}, not ${group}`);
    if (b.apiVersion !== SPI_VERSION) {
      throw fail(
        group,
        name,
        `The ${WHAT[group]} "${name}" from ${from} was built for plugin SPI version ${b.apiVersion}, but ${CORE_PACKAGE_NAME} ${CORE_VERSION} implements SPI version ${SPI_VERSION}; install a version of it made for this core`,
      );
    }
  }

  #checkPeerRange(group: EntryPointGroup, name: string, pkg: LocatedPackage): void {
    const peers = pkg.json['peerDependencies'] as Record<string, string> | undefined;
    const range = peers?.[CORE_PACKAGE_NAME];
    if (range && !semver.satisfies(CORE_VERSION, range, { includePrerelease: true })) {
      throw fail(
        group,
        name,
        `${pkg.name}@${String(pkg.json['version'])} requires ${CORE_PACKAGE_NAME}@${range}, but ${CORE_VERSION} is installed; install a version of ${pkg.name} compatible with core ${CORE_VERSION}`,
      );
    }
  }

  #notFoundMessage(group: EntryPointGroup, name: string): string {
    const installed = this.list(group).map((p) => p.name);
    const pkg = candidatePackages(group, name)[0];
    const installHint = pkg ? ` Install it with: npm install ${pkg}` : '';
    return `Failed to load ${WHAT[group]} "${name}": no installed package provides it.${installHint}. Installed ${WHAT[group]}s: ${installed.length > 0 ? installed.join(', ') : '(none)'} (searched from ${this.appRoot}).`;
  }

  #bases(): string[] {
    return [...new Set([this.appRoot, CORE_DIR])];
  }

  #findByConvention(group: EntryPointGroup, name: string): PackageEntry[] {
    for (const pkgName of candidatePackages(group, name)) {
      for (const base of this.#bases()) {
        const pkg = locatePackage(pkgName, base);
        if (!pkg) continue;
        let entries: ManifestEntry[] | undefined;
        try {
          entries = readManifest(pkg.name, pkg.json);
        } catch (err) {
          throw fail(group, name, (err as Error).message, err);
        }
        const entry = entries?.find((e) => e.group === group && e.name === name);
        if (entry) return [{ pkg, entry }];
      }
    }
    return [];
  }

  #getIndex(): Map<string, PackageEntry[]> {
    if (this.#index) return this.#index;
    const index = new Map<string, PackageEntry[]>();
    const warnings: string[] = [];
    const root = this.appRoot;
    const names = new Set(declaredDependencies(root));
    // First-party plugins installed next to core (npm hoisting) are listed too, so `list` shows them.
    for (const group of Object.values(KNOWN_PACKAGES)) for (const p of Object.values(group)) names.add(p);
    for (const depName of names) {
      const pkg =
        locatePackage(depName, root) ??
        (depName.startsWith('@oslo-messaging/') ? locatePackage(depName, CORE_DIR) : undefined);
      if (!pkg) continue;
      let entries: ManifestEntry[] | undefined;
      try {
        entries = readManifest(pkg.name, pkg.json);
      } catch (err) {
        warnings.push((err as Error).message);
        continue;
      }
      for (const entry of entries ?? []) {
        const key = `${entry.group}:${entry.name}`;
        const list = index.get(key) ?? [];
        if (!list.some((e) => e.pkg.dir === pkg.dir)) list.push({ pkg, entry });
        index.set(key, list);
      }
    }
    this.#index = index;
    this.#indexWarnings = warnings;
    return index;
  }
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), key.slice(i + 1)];
}

function pickExport(mod: Record<string, unknown>, exportName: string): unknown {
  if (exportName in mod) return mod[exportName];
  const def = mod['default'] as Record<string, unknown> | undefined;
  if (def && typeof def === 'object') {
    if (exportName in def) return def[exportName];
    const inner = def['default'] as Record<string, unknown> | undefined;
    if (inner && typeof inner === 'object' && exportName in inner) return inner[exportName];
  }
  return undefined;
}

/** The process-wide registry used when no `plugins` registry is passed. */
export const defaultPluginRegistry = new PluginRegistry();

/**
 * Registers a plugin in the default registry (bundlers, tests).
 *
 * @example
 * ```ts
 * import { rabbitDriver } from '@oslo-messaging/driver-rabbit';
 * registerPlugin(ENTRY_POINT_GROUPS.drivers, 'rabbit', rabbitDriver);
 * ```
 *
 * @throws {@link DriverLoadFailure}, {@link ExecutorLoadFailure} or {@link PluginLoadFailure} when the value is not a
 *   plugin of `group` for this SPI version (see {@link PluginRegistry.register})
 */
export function registerPlugin(group: EntryPointGroup, name: string, value: unknown): void {
  defaultPluginRegistry.register(group, name, value);
}

/**
 * Loads a plugin from the default registry.
 *
 * @throws {@link DriverLoadFailure}, {@link ExecutorLoadFailure} or {@link PluginLoadFailure} (the promise rejecting)
 *   when it cannot be found, imported or accepted (see {@link PluginRegistry.load})
 */
export function loadPlugin<G extends EntryPointGroup>(group: G, name: string): Promise<PluginOf<G>> {
  return defaultPluginRegistry.load(group, name);
}

/** Lists the plugins of a group from the default registry. */
export function listPlugins(group: EntryPointGroup): PluginInfo[] {
  return defaultPluginRegistry.list(group);
}
