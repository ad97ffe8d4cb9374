#!/usr/bin/env node
// Repo lint: every package keeps the house shape, so 18 small packages stay consistent.
// Checks name/folder, ESM, exports (with ./package.json), types, files, engines, CHANGELOG.md, README sections,
// core as a peer (never a dependency), ranges on workspace packages that survive a lerna bump, tsconfig references
// matching workspace dependencies, and (after a build) that every entry point in the
// "oslo.messaging" manifest exists, exports a value and carries the brand of its group.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BRAND = Symbol.for('oslo.messaging.entryPoint');
const CORE_SPI_VERSION = Number(
  /export const SPI_VERSION = (\d+);/.exec(readFileSync(join(root, 'packages/core/src/version.ts'), 'utf8'))?.[1],
);
const CHANGELOG_HEADER =
  '# Change Log\n\nAll notable changes to this project will be documented in this file.\nSee [Conventional Commits](https://conventionalcommits.org) for commit guidelines.\n';

export async function checkPackages({ importTargets = true } = {}) {
  const problems = [];
  const pkgsDir = join(root, 'packages');
  const folders = readdirSync(pkgsDir).filter((f) => existsSync(join(pkgsDir, f, 'package.json')));
  const workspaceNames = new Set(folders.map((f) => `@oslo-messaging/${f}`));
  for (const folder of folders) {
    const dir = join(pkgsDir, folder);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const bad = (m) => problems.push(`packages/${folder}: ${m}`);
    if (pkg.name !== `@oslo-messaging/${folder}`) bad(`name must be @oslo-messaging/${folder}`);
    if (pkg.type !== 'module') bad('type must be "module"');
    if (pkg.exports?.['.']?.types !== './dist/index.d.ts' || pkg.exports?.['.']?.default !== './dist/index.js')
      bad('exports["."] must be { types: ./dist/index.d.ts, default: ./dist/index.js }');
    if (pkg.exports?.['./package.json'] !== './package.json') bad('exports must include "./package.json"');
    if (pkg.types !== './dist/index.d.ts') bad('types must be ./dist/index.d.ts');
    if (!Array.isArray(pkg.files) || !pkg.files.includes('dist')) bad('files must include dist');
    if (!pkg.engines?.node) bad('engines.node must be set');
    if (!semver.valid(pkg.version)) bad(`version ${pkg.version} is not semver`);
    // npm links a bin at install time only if its file exists then: in a fresh clone dist/ does not.
    for (const [cmd, target] of Object.entries(
      typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}),
    )) {
      const rel = String(target).replace(/^\.\//, '');
      if (rel.startsWith('dist/'))
        bad(
          `bin ${cmd} -> ${target}: a bin must be a committed file, not build output (npm does not link it before the build)`,
        );
      else if (!existsSync(join(dir, rel))) bad(`bin ${cmd} -> ${target}: file missing`);
      else if (!pkg.files?.some((f) => rel === f || rel.startsWith(`${f}/`)))
        bad(`bin ${cmd} -> ${target}: not in files`);
    }
    if (!pkg.files?.includes('CHANGELOG.md')) bad('files must include CHANGELOG.md');
    const changelog = existsSync(join(dir, 'CHANGELOG.md')) ? readFileSync(join(dir, 'CHANGELOG.md'), 'utf8') : '';
    // lerna inserts each release's entry after this header (the Conventional Commits line); without it, at the top.
    if (!changelog.startsWith(CHANGELOG_HEADER))
      bad(
        `CHANGELOG.md must exist and start with lerna's header (${JSON.stringify(CHANGELOG_HEADER.split('\n')[0])} ... "commit guidelines.")`,
      );
    const readme = existsSync(join(dir, 'README.md')) ? readFileSync(join(dir, 'README.md'), 'utf8') : '';
    if (!readme) bad('README.md is missing');
    else for (const section of ['## Install']) if (!readme.includes(section)) bad(`README.md lacks "${section}"`);
    if (folder !== 'core') {
      if (pkg.dependencies?.['@oslo-messaging/core'])
        bad('@oslo-messaging/core must be a peerDependency, not a dependency');
      if (!pkg.peerDependencies?.['@oslo-messaging/core']) bad('@oslo-messaging/core must be a peerDependency');
    }
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    const refs = new Set((tsconfig.references ?? []).map((r) => `@oslo-messaging/${r.path.replace('../', '')}`));
    const wsDeps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies }).filter((d) =>
      workspaceNames.has(d),
    );
    for (const d of wsDeps)
      if (!refs.has(d)) bad(`tsconfig.json must reference ../${d.split('/')[1]} (a workspace dependency)`);
    const manifest = pkg['oslo.messaging'];
    // The registry refuses a plugin whose package.json declares another SPI version (none declared = SPI 1).
    if (manifest && manifest.spi !== CORE_SPI_VERSION)
      bad(
        `"oslo.messaging".spi must be ${CORE_SPI_VERSION}, the SPI version of packages/core/src/version.ts (got ${JSON.stringify(manifest.spi)})`,
      );
    if (manifest && importTargets) {
      for (const [group, entries] of Object.entries(manifest.entryPoints ?? {})) {
        for (const [name, target] of Object.entries(entries)) {
          const [file, exp = 'default'] = target.split('#');
          const abs = resolve(dir, file);
          if (!existsSync(abs)) {
            bad(`entry point ${group}:${name} -> ${target}: file missing (build first)`);
            continue;
          }
          const mod = await import(pathToFileURL(abs).href);
          const value = mod[exp];
          if (value === undefined) bad(`entry point ${group}:${name} -> ${target}: no export "${exp}"`);
          else if (value[BRAND]?.group !== group)
            bad(`entry point ${group}:${name} -> ${target}: value lacks the brand of ${group}`);
        }
      }
    }
  }
  problems.push(...internalRangeProblems(workspaceManifests()));
  return problems;
}

/** Every workspace package.json (packages/* and examples/*) under `rootDir`, with whether lerna versions it (lerna.json "packages"). */
export function workspaceManifests(rootDir = root) {
  const lernaGlobs = JSON.parse(readFileSync(join(rootDir, 'lerna.json'), 'utf8')).packages ?? ['packages/*'];
  const out = [];
  for (const parent of ['packages', 'examples']) {
    for (const f of readdirSync(join(rootDir, parent))) {
      const file = join(rootDir, parent, f, 'package.json');
      if (!existsSync(file)) continue;
      const where = `${parent}/${f}`;
      out.push({
        where,
        pkg: JSON.parse(readFileSync(file, 'utf8')),
        lernaManaged: lernaGlobs.includes(`${parent}/*`) || lernaGlobs.includes(where),
      });
    }
  }
  return out;
}

const KINDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/**
 * The release rule for ranges on workspace packages (CONTRIBUTING.md, "Commits and releases"):
 * - every range on a workspace package includes that package's workspace version: otherwise npm goes to the
 *   registry for a dependency (that is how `lerna version` failed when core went to 0.2.0 and the examples said
 *   ^0.1.0), and a peer is invalid (the plugins said ^0.1.0 too: core's registry would refuse to load them);
 * - a range lerna does not rewrite when it bumps the target (every peerDependency, and everything in a package
 *   lerna does not version, e.g. examples/*) spans the target's whole major: it admits the next patch and the
 *   next minor and stops before the next major, like ">=0.1.0 <1.0.0". Pre-1.0 "^0.1.0" means "0.1.x only",
 *   which would make every core minor a breaking change for every plugin. Whether a plugin really fits a core
 *   is the SPI version check's job: the "spi" a plugin's package.json declares must be core's SPI_VERSION
 *   (packages/core/src/version.ts), checked by the plugin registry before it imports anything.
 *
 * @param {{ where: string, pkg: Record<string, any>, lernaManaged: boolean }[]} manifests
 * @returns {string[]} problems, one line each
 */
export function internalRangeProblems(manifests) {
  const versions = new Map(manifests.map((m) => [m.pkg.name, m.pkg.version]));
  const problems = [];
  for (const { where, pkg, lernaManaged } of manifests) {
    for (const kind of KINDS) {
      for (const [dep, range] of Object.entries(pkg[kind] ?? {})) {
        const v = versions.get(dep);
        if (v === undefined) continue;
        const bad = (m) => problems.push(`${where}: ${kind} ${dep}@${range} ${m}`);
        if (!semver.validRange(range)) {
          bad('is not a semver range');
          continue;
        }
        if (!semver.satisfies(v, range)) {
          bad(
            kind === 'peerDependencies'
              ? `does not include the workspace ${dep} ${v} (an invalid peer: core's plugin registry refuses to load it, and npm refuses to install the released pair)`
              : `does not include the workspace ${dep} ${v} (npm would look for it in the registry)`,
          );
          continue;
        }
        if (kind !== 'peerDependencies' && lernaManaged) continue;
        const why =
          kind === 'peerDependencies' ? 'lerna does not rewrite peer ranges' : 'lerna does not version this package';
        const span = `>=${v} <${semver.inc(v, 'major')}`;
        for (const next of [semver.inc(v, 'patch'), semver.inc(v, 'minor')]) {
          if (!semver.satisfies(next, range))
            bad(`excludes ${next}; ${why}, so it must span the major, e.g. "${span}"`);
        }
        if (semver.satisfies(semver.inc(v, 'major'), range))
          bad(`admits the next major ${semver.inc(v, 'major')}; a major is a breaking change, e.g. "${span}"`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const problems = await checkPackages();
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write('all packages keep the house shape\n');
}
