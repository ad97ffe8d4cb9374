#!/usr/bin/env node
// Commit message lint for the release rule (CONTRIBUTING.md, "Commits and releases"): lerna picks versions and
// writes CHANGELOGs from these headers, so a header it cannot parse is a change nobody hears about.
// Usage:
//   npm run check:commits                 # commits since the latest release tag (<name>@<version>)
//   npm run check:commits -- <range>      # e.g. origin/main..HEAD, before merging a branch
// Merge commits and lerna's own "chore(release): publish" pass.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const TYPES = ['feat', 'fix', 'perf', 'revert', 'docs', 'test', 'refactor', 'build', 'ci', 'chore', 'style'];
/** Scopes besides the package folders: repository areas outside packages/, and lerna's release commits. */
export const OTHER_SCOPES = ['scripts', 'examples', 'docs', 'ci', 'deps', 'release'];

export function packageScopes(rootDir = root) {
  return readdirSync(join(rootDir, 'packages')).filter((f) => existsSync(join(rootDir, 'packages', f, 'package.json')));
}

// The header shape scripts/changelog-preset.cjs parses: type, optional (scope) without parentheses inside, optional !.
const HEADER = /^(\w+)(?:\(([^()]*)\))?(!?): (.+)$/;

/**
 * Problems with one commit message (empty when it follows the rule).
 *
 * @param {string} message the whole message: header, blank line, body
 * @param {string[]} scopes the allowed scopes
 * @returns {string[]}
 */
export function commitProblems(message, scopes) {
  const header = message.split('\n')[0] ?? '';
  if (/^Merge /.test(header)) return [];
  const m = HEADER.exec(header);
  if (!m) return [`"${header}": not "<type>(<scope>): <subject>"`];
  const [, type, scope, , subject] = m;
  const problems = [];
  if (!TYPES.includes(type)) problems.push(`"${header}": type "${type}" is not one of ${TYPES.join(', ')}`);
  if (scope !== undefined) {
    for (const s of scope.split(',').map((x) => x.trim())) {
      if (!scopes.includes(s))
        problems.push(
          `"${header}": scope "${s}" is not a package folder (${scopes.filter((x) => !OTHER_SCOPES.includes(x)).join(', ')}) nor one of ${OTHER_SCOPES.join(', ')}`,
        );
    }
  }
  if (new RegExp(`(^|[;,.] )(${TYPES.join('|')})(\\([^()]*\\))?!?: `).test(subject))
    problems.push(`"${header}": two types in one header; lerna lists it once, under the first: make two commits`);
  if (/^BREAKING[ -]CHANGE:/m.test(message) && !/^BREAKING[ -]CHANGE: \S/m.test(message))
    problems.push(`"${header}": a BREAKING CHANGE: footer says what breaks`);
  return problems;
}

function latestReleaseTag() {
  try {
    return execFileSync('git', ['describe', '--tags', '--abbrev=0', '--match', '@oslo-messaging/*@*'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  let range = process.argv[2];
  if (!range) {
    const tag = latestReleaseTag();
    if (!tag) {
      process.stderr.write(
        'no release tag (<name>@<version>) yet: pass a range, e.g. npm run check:commits -- origin/main..HEAD\n',
      );
      process.exit(2);
    }
    range = `${tag}..HEAD`;
  }
  const log = execFileSync('git', ['log', '--format=%H%x00%B%x1e', range], { cwd: root, encoding: 'utf8' });
  const scopes = [...packageScopes(), ...OTHER_SCOPES];
  const problems = [];
  let count = 0;
  for (const rec of log
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)) {
    const [sha, message] = rec.split('\0');
    count++;
    for (const p of commitProblems(message.trim(), scopes)) problems.push(`${sha.slice(0, 10)} ${p}`);
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write(`${count} commits in ${range} follow the commit rule\n`);
}
