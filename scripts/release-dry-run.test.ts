import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without type declarations
import { changelogHead, releaseDryRun } from './release-dry-run.mjs';

type Version = { name: string; folder: string; from: string; to: string };
type Result = {
  head: string;
  tags: string[];
  versions: Version[];
  changelogs: Record<string, string>;
  missingChangelogs: string[];
  clone?: string;
};
const dryRun = releaseDryRun as (o: {
  baseline?: string;
  commits?: (string | { message: string; file: string })[];
  keep?: boolean;
}) => Promise<Result>;

const root = join(import.meta.dirname, '..');
const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const version = (folder: string): string =>
  (JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { version: string }).version;
const clones = (): string[] =>
  readdirSync(tmpdir()).filter(
    (f) => f.startsWith('oslo-release-dry-run-') && !f.startsWith('oslo-release-dry-run-test-'),
  );

describe('release dry run (lerna version in a throw-away clone)', () => {
  it('a breaking core change and a driver fix since a baseline: core takes a minor (pre-1.0), the tree still installs from the workspace', async () => {
    const status = git('status', '--porcelain');
    const tags = git('tag', '--list');
    const before = clones();
    const r = await dryRun({
      baseline: 'HEAD',
      commits: [
        'feat(core)!: a breaking plugin SPI change (release dry run)',
        'fix(driver-rabbit): a fix (release dry run)',
      ],
      keep: true,
    });
    let coreLog: string;
    try {
      coreLog = readFileSync(join(r.clone!, 'packages/core/CHANGELOG.md'), 'utf8');
    } finally {
      rmSync(r.clone!, { recursive: true, force: true });
    }
    // lerna adds the new entry between the header and the committed first-release entry, which stays as it was
    const committed = readFileSync(join(root, 'packages/core/CHANGELOG.md'), 'utf8');
    const header = committed.slice(0, committed.indexOf('commit guidelines.') + 'commit guidelines.'.length);
    expect(coreLog.startsWith(`${header}\n\n${r.changelogs['@oslo-messaging/core']!.split('\n')[0]}`)).toBe(true);
    expect(coreLog.endsWith(committed.slice(header.length))).toBe(true);
    expect(r.tags).toContain(`@oslo-messaging/core@${version('packages/core')}`);
    const to = (name: string) => r.versions.find((v) => v.name === `@oslo-messaging/${name}`)?.to;
    // lerna turns a breaking change into a minor while the major is 0 (that is why plugins' peers span the major)
    expect(to('core')).toBe(
      semver.inc(version('packages/core'), semver.major(version('packages/core')) === 0 ? 'minor' : 'major'),
    );
    expect(to('driver-rabbit')).toBe(semver.inc(version('packages/driver-rabbit'), 'patch'));
    expect(r.changelogs['@oslo-messaging/core']).toMatch(/^# \[?\d+\.\d+\.0/);
    // `!` counts as breaking (scripts/changelog-preset.cjs) and lists the commit under Features too
    expect(r.changelogs['@oslo-messaging/core']).toMatch(
      /### Features\n\n\* \*\*core:\*\* a breaking plugin SPI change \(release dry run\)/,
    );
    expect(r.changelogs['@oslo-messaging/core']).toMatch(
      /### BREAKING CHANGES\n\n\* \*\*core:\*\* a breaking plugin SPI change \(release dry run\)/,
    );
    expect(r.changelogs['@oslo-messaging/driver-rabbit']).toContain('### Bug Fixes');
    expect(r.changelogs['@oslo-messaging/driver-rabbit']).toContain('**driver-rabbit:** a fix (release dry run)');
    expect(r.missingChangelogs).toEqual([]);
    // the repository itself is untouched: no bumps, no CHANGELOG writes, no tags; the clone is gone
    expect(git('status', '--porcelain')).toBe(status);
    expect(git('tag', '--list')).toBe(tags);
    expect(clones().filter((c) => !before.includes(c))).toEqual([]);
  }, 60_000);

  it('fails when a plugin pins core to one pre-1.0 minor (^0.1.0): the bumped core is not in the workspace range', async () => {
    // A copy of HEAD with one peer range as it was before the rule, in a temporary repository, never this one.
    const copy = mkdtempSync(join(tmpdir(), 'oslo-release-dry-run-test-'));
    try {
      execFileSync('git', ['clone', '--quiet', root, copy]);
      execFileSync('git', ['checkout', '--quiet', '-B', 'main', git('rev-parse', 'HEAD').trim()], { cwd: copy });
      const file = join(copy, 'packages/notifier-noop/package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { peerDependencies: Record<string, string> };
      pkg.peerDependencies['@oslo-messaging/core'] = `^${version('packages/core')}`;
      writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
      execFileSync(
        'git',
        ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '--quiet', '-am', 'chore: pin core'],
        { cwd: copy },
      );
      const run = (releaseDryRun as (o: object) => Promise<Result>)({
        source: copy,
        baseline: 'HEAD',
        commits: ['feat(core): a feature (release dry run)'],
      });
      await expect(run).rejects.toThrow(
        /failed \(exit 1\)[\s\S]*npm install --package-lock-only|not the workspace|does not include the workspace/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  it('changes to tests and Markdown alone release nothing (lerna.json ignoreChanges)', async () => {
    const r = await dryRun({
      baseline: 'HEAD',
      commits: [
        { message: 'test(core): a test only (release dry run)', file: 'src/version.test.ts' },
        { message: 'docs(driver-fake): a README fix (release dry run)', file: 'README.md' },
      ],
    });
    expect(r.versions).toEqual([]);
  }, 60_000);

  it('refuses a simulated commit whose scope is not a package folder, and deletes its clone', async () => {
    const before = clones();
    await expect(dryRun({ baseline: 'HEAD', commits: ['feat(kernel): not a package'] })).rejects.toThrow(
      /scope must be a package folder/,
    );
    expect(clones().filter((c) => !before.includes(c))).toEqual([]);
  }, 60_000);

  it('changelogHead takes the first version entry only', () => {
    const text =
      '# Change Log\n\nAll notable changes...\n\n## [0.1.1](x) (2026-12-02)\n\n\n### Bug Fixes\n\n* a\n\n# 0.1.0 (2026-12-01)\n\n* b\n';
    expect(changelogHead(text)).toBe('## [0.1.1](x) (2026-12-02)\n\n### Bug Fixes\n\n* a');
    expect(changelogHead('# Change Log\n')).toBe('');
  });
});
