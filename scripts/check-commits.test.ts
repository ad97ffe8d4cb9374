import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without type declarations
import { commitProblems, OTHER_SCOPES, packageScopes } from './check-commits.mjs';

const scopes = [...(packageScopes() as string[]), ...(OTHER_SCOPES as string[])];
const check = (message: string): string[] => (commitProblems as (m: string, s: string[]) => string[])(message, scopes);

describe('commit rule (scripts/check-commits.mjs)', () => {
  it('the package folders are the scopes', () => {
    expect(scopes).toEqual(
      expect.arrayContaining(['core', 'driver-rabbit', 'driver-zmq', 'testkit', 'cli', 'scripts']),
    );
    expect(scopes).not.toContain('@oslo-messaging/core');
  });

  it('accepts conventional headers with a package scope, no scope, or a breaking mark', () => {
    for (const m of [
      'feat(core): an RPC metrics collector SPI',
      'fix(driver-rabbit): re-consume a deleted reply queue',
      'perf(driver-zmq): one process pool',
      'chore: peer ranges span the major',
      'docs(scripts): the soak script',
      'feat(core)!: a new plugin SPI\n\nBREAKING CHANGE: drivers implement send() with a deadline',
      'chore(release): publish',
      'Merge branch wt/release',
    ])
      expect(check(m), m).toEqual([]);
  });

  it('refuses what lerna cannot parse or would file under the wrong package', () => {
    expect(check('Fixed the rabbit driver')).toEqual([expect.stringContaining('not "<type>(<scope>): <subject>"')]);
    expect(check('feature(core): x')).toEqual([expect.stringContaining('type "feature" is not one of')]);
    expect(check('fix(rabbit): x')).toEqual([expect.stringContaining('scope "rabbit" is not a package folder')]);
    expect(check('fix(@oslo-messaging/core): x')).toEqual([
      expect.stringContaining('scope "@oslo-messaging/core" is not a package folder'),
    ]);
    expect(check('fix(driver-amqp1): start() waits; fix(core): stop() cancels a pending start')).toEqual([
      expect.stringContaining('two types in one header'),
    ]);
    expect(check('feat(core)!: x\n\nBREAKING CHANGE:')).toEqual([
      expect.stringContaining('a BREAKING CHANGE: footer says what breaks'),
    ]);
  });
});
