import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A package found on disk. */
export interface LocatedPackage {
  readonly name: string;
  /** Real directory of the package (symlinks resolved). */
  readonly dir: string;
  readonly json: Record<string, unknown>;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Finds `<name>/package.json` the way Node resolves a bare specifier from `base`: in each ancestor's
 * `node_modules`. Reading the file directly works whatever the package's `exports` say, under npm,
 * workspaces and pnpm's symlinked layout.
 */
export function locatePackage(name: string, base: string): LocatedPackage | undefined {
  let dir = resolve(base);
  const root = parse(dir).root;
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      const real = realpathSync(dirname(candidate));
      return { name, dir: real, json: readJson(join(real, 'package.json')) };
    }
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/** The nearest directory at or above `start` holding a package.json. */
export function findPackageRoot(start: string): string | undefined {
  let dir = resolve(start);
  try {
    if (!statSync(dir).isDirectory()) dir = dirname(dir);
  } catch {
    dir = dirname(dir);
  }
  const root = parse(dir).root;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/**
 * The application root plugins are resolved from: the explicit `appRoot`, else the package of the
 * main script (unless that is a tool inside node_modules, like a test runner), else the working directory.
 */
export function resolveAppRoot(appRoot?: string): string {
  if (appRoot) {
    // fileURLToPath decodes %20 and friends, which URL.pathname keeps encoded.
    const path = appRoot.startsWith('file:') ? fileURLToPath(appRoot) : appRoot;
    return findPackageRoot(path) ?? resolve(path);
  }
  const main = process.argv[1];
  if (main && !main.split(/[\\/]/).includes('node_modules')) {
    const root = findPackageRoot(main);
    if (root) return root;
  }
  return findPackageRoot(process.cwd()) ?? process.cwd();
}

/** Names the application declares: dependencies, optionalDependencies, and devDependencies unless NODE_ENV=production. */
export function declaredDependencies(appRoot: string): string[] {
  const file = join(appRoot, 'package.json');
  if (!existsSync(file)) return [];
  const json = readJson(file);
  const groups = ['dependencies', 'optionalDependencies'];
  if (process.env['NODE_ENV'] !== 'production') groups.push('devDependencies');
  const names = new Set<string>();
  for (const g of groups) {
    const deps = json[g];
    if (deps && typeof deps === 'object') for (const n of Object.keys(deps)) names.add(n);
  }
  return [...names];
}
