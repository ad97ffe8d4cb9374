#!/usr/bin/env node
// Release dry run: `lerna version --conventional-commits --no-push --no-git-tag-version --yes` in a throw-away
// clone of HEAD, so the repository itself is never touched (no version bumps, CHANGELOGs, lockfile or tags).
// Prints the version lerna would give each package and the head of each new CHANGELOG entry, checks that the
// bumped tree still installs from the workspace (lockfile versions, links, ranges), deletes the clone and exits
// non-zero if anything failed. Usage:
//   npm run release:dry-run                       # what `lerna version` would do now
//   npm run release:dry-run -- --baseline <rev>   # as if every package had been tagged <name>@<version> at <rev>
//   npm run release:dry-run -- --commit "feat(core): x" [--commit ...]   # with extra commits on top (in the clone)
//   npm run release:dry-run -- --keep             # keep the clone and print its path
// The clone needs no node_modules: lerna runs from this checkout's node_modules, and its lockfile update is
// `npm install --package-lock-only`, which reads package-lock.json and the manifests only. Commits only (HEAD):
// uncommitted changes are not in the clone.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { internalRangeProblems, workspaceManifests } from './check-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LERNA = join(root, 'node_modules/lerna/dist/cli.js');
export const LERNA_ARGS = ['version', '--conventional-commits', '--no-push', '--no-git-tag-version', '--yes'];
const TAG_GLOB = '@oslo-messaging/*@*';

const git = (cwd, ...args) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The folders lerna versions (lerna.json "packages", only the `dir/*` form this repository uses). */
function lernaFolders(dir) {
  const out = [];
  for (const glob of readJson(join(dir, 'lerna.json')).packages ?? ['packages/*']) {
    const parent = glob.replace(/\/\*$/, '');
    for (const f of readdirSync(join(dir, parent)))
      if (existsSync(join(dir, parent, f, 'package.json'))) out.push(`${parent}/${f}`);
  }
  return out;
}

/** The first entry of a lerna CHANGELOG.md: from the first version heading to the next one. */
export function changelogHead(text) {
  const lines = text.split('\n');
  const isEntry = (l) => /^#{1,2} \[?\d+\.\d+\.\d+/.test(l);
  const start = lines.findIndex(isEntry);
  if (start < 0) return '';
  let end = lines.findIndex((l, i) => i > start && isEntry(l));
  if (end < 0) end = lines.length;
  return lines
    .slice(start, end)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Runs the dry run. Returns what lerna would release; throws (after cleaning up) if lerna or a check fails.
 *
 * @param {{ source?: string, baseline?: string, commits?: (string | { message: string, file: string })[], keep?: boolean,
 *   log?: (line: string) => void }} [options] `commits` are made in the clone on top of HEAD, each in the package
 *   its scope names (a new file there, or a line added to `file`, a path relative to that package)
 * @returns {Promise<{ head: string, tags: string[], versions: { name: string, folder: string, from: string, to: string }[],
 *   changelogs: Record<string, string>, missingChangelogs: string[], clone?: string }>}
 */
export async function releaseDryRun({ source = root, baseline, commits = [], keep = false, log = () => {} } = {}) {
  const head = git(source, 'rev-parse', 'HEAD');
  if (git(source, 'status', '--porcelain', '--untracked-files=no') !== '')
    log('note: uncommitted changes are not part of the dry run (it clones HEAD)');
  const dir = mkdtempSync(join(tmpdir(), 'oslo-release-dry-run-'));
  try {
    git(tmpdir(), 'clone', '--quiet', '--no-checkout', source, dir);
    // On a branch called main, so lerna.json's allowBranch applies as it does for a real release.
    git(dir, 'checkout', '--quiet', '-B', 'main', head);
    git(dir, 'config', 'user.name', 'release dry run');
    git(dir, 'config', 'user.email', 'release-dry-run@localhost');
    const folders = lernaFolders(dir);
    const before = new Map(folders.map((f) => [f, readJson(join(dir, f, 'package.json'))]));
    if (baseline) {
      const rev = git(dir, 'rev-parse', '--verify', `${baseline}^{commit}`);
      for (const f of folders) {
        let version;
        try {
          version = JSON.parse(git(dir, 'show', `${rev}:${f}/package.json`)).version;
        } catch {
          continue; // the package did not exist at the baseline
        }
        const tag = `${before.get(f).name}@${version}`;
        // Annotated, as lerna makes them: lerna finds its last release with git describe, which skips lightweight tags.
        if (git(dir, 'tag', '--list', tag) === '') git(dir, 'tag', '--annotate', '--message', tag, tag, rev);
      }
    }
    const tags = git(dir, 'tag', '--list', TAG_GLOB).split('\n').filter(Boolean);
    if (tags.length === 0)
      log(
        'warning: no release tags (<name>@<version>): lerna reads the whole history, as if nothing was ever released',
      );
    commits.forEach((commit, i) => {
      const { message, file } = typeof commit === 'string' ? { message: commit, file: undefined } : commit;
      const scope = /^\w+\(([^)]+)\)!?:/.exec(message)?.[1];
      const folder = folders.find((f) => f.split('/')[1] === scope);
      if (!folder)
        throw new Error(
          `--commit "${message}": its scope must be a package folder (${folders.map((f) => f.split('/')[1]).join(', ')})`,
        );
      // A new file in the scope's package, or a line appended to `file` (a path inside that package).
      const path = join(folder, file ?? `.release-dry-run-${i}`);
      writeFileSync(
        join(dir, path),
        `${existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : ''}\n${message}\n`,
      );
      git(dir, 'add', path);
      git(dir, 'commit', '--quiet', '--no-verify', '-m', message);
    });

    const run = spawnSync(process.execPath, [LERNA, ...LERNA_ARGS], {
      cwd: dir,
      encoding: 'utf8',
      // NODE_PATH: scripts/changelog-preset.cjs require()s conventional-changelog-angular, which the clone lacks.
      env: {
        ...process.env,
        NODE_PATH: join(root, 'node_modules'),
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        CI: 'true',
        FORCE_COLOR: '0',
      },
    });
    const output = `${run.stdout}${run.stderr}`;
    if (run.status !== 0) {
      // lerna repeats npm's error several times; its own ERR! lines say what failed.
      const errs = [...new Set(output.split('\n').filter((l) => l.startsWith('lerna ERR!') && !l.includes('    at ')))];
      throw new Error(
        `lerna ${LERNA_ARGS.join(' ')} failed (exit ${run.status}):\n${(errs.length > 0 ? errs.join('\n') : output).trim()}`,
      );
    }

    const versions = [];
    const changelogs = {};
    const missingChangelogs = [];
    for (const f of folders) {
      const was = before.get(f);
      const now = readJson(join(dir, f, 'package.json'));
      if (now.version === was.version) continue;
      versions.push({ name: now.name, folder: f, from: was.version, to: now.version });
      const file = join(dir, f, 'CHANGELOG.md');
      const entry = existsSync(file) ? changelogHead(readFileSync(file, 'utf8')) : '';
      if (entry.includes(now.version)) changelogs[now.name] = entry;
      else missingChangelogs.push(now.name);
    }
    if (versions.length === 0 && !/No changed packages/i.test(output))
      throw new Error(`lerna changed no version but did not say why:\n${output.trim()}`);

    // The bumped tree must still install from the workspace: lockfile versions, links, and the range rule.
    const problems = [];
    const lock = readJson(join(dir, 'package-lock.json'));
    for (const v of versions) {
      const locked = lock.packages?.[v.folder]?.version;
      if (locked !== v.to) problems.push(`package-lock.json has ${v.folder} at ${locked}, not ${v.to}`);
    }
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (/(^|\/)node_modules\/@oslo-messaging\/[^/]+$/.test(path) && !entry.link)
        problems.push(
          `package-lock.json resolves ${path} from ${entry.resolved ?? 'outside the workspace'}, not the workspace`,
        );
    }
    problems.push(...internalRangeProblems(workspaceManifests(dir)));
    for (const name of missingChangelogs) problems.push(`${name}: no CHANGELOG.md entry for its new version`);
    if (problems.length > 0) throw new Error(`after lerna version:\n  ${problems.join('\n  ')}`);
    return { head, tags, versions, changelogs, missingChangelogs, ...(keep ? { clone: dir } : {}) };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opts = { commits: [], keep: false, log: (l) => process.stderr.write(`${l}\n`) };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--baseline') opts.baseline = args[++i];
    else if (args[i] === '--commit') opts.commits.push(args[++i]);
    else if (args[i] === '--keep') opts.keep = true;
    else {
      process.stderr.write(
        `unknown argument ${args[i]}\nusage: release-dry-run.mjs [--baseline <rev>] [--commit <message>]... [--keep]\n`,
      );
      process.exit(2);
    }
  }
  try {
    const r = await releaseDryRun(opts);
    const out = [`lerna ${LERNA_ARGS.join(' ')} at ${r.head.slice(0, 12)}, ${r.tags.length} release tags`];
    if (r.versions.length === 0) out.push('no changed packages: nothing to release');
    for (const v of r.versions) out.push(`  ${v.name}: ${v.from} => ${v.to}`);
    for (const [name, head] of Object.entries(r.changelogs)) out.push('', `--- ${name} CHANGELOG.md`, head);
    if (r.clone) out.push('', `clone kept at ${r.clone}`);
    out.push('', 'dry run ok: versions, CHANGELOGs and package-lock.json updated in the clone only');
    process.stdout.write(`${out.join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`release dry run failed: ${err.message}\n`);
    process.exit(1);
  }
}
