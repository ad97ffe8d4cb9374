import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM script without type declarations
import { checkPackages, internalRangeProblems } from './check-packages.mjs';

type Manifest = { where: string; pkg: Record<string, unknown>; lernaManaged: boolean };
const check = internalRangeProblems as (m: Manifest[]) => string[];

const core = (version = '0.1.0'): Manifest => ({
  where: 'packages/core',
  pkg: { name: '@oslo-messaging/core', version },
  lernaManaged: true,
});
const plugin = (
  deps: Record<string, Record<string, string>>,
  where = 'packages/driver-x',
  lernaManaged = true,
): Manifest => ({
  where,
  pkg: { name: `@oslo-messaging/${where.split('/')[1]}`, version: '0.1.0', ...deps },
  lernaManaged,
});

describe('repository packages', () => {
  it('every package keeps the house shape and every declared entry point loads with its brand', async () => {
    const problems = (await checkPackages()) as string[];
    expect(problems).toEqual([]);
  });
});

describe('ranges on workspace packages (the release rule)', () => {
  it('accepts a peer range on core that spans the major, and caret ranges that lerna rewrites', () => {
    expect(
      check([
        core(),
        plugin({
          peerDependencies: { '@oslo-messaging/core': '>=0.1.0 <1.0.0' },
          devDependencies: { '@oslo-messaging/core': '^0.1.0' },
        }),
      ]),
    ).toEqual([]);
    expect(check([core('0.4.2'), plugin({ peerDependencies: { '@oslo-messaging/core': '>=0.1.0 <1.0.0' } })])).toEqual(
      [],
    );
  });

  it('refuses a pre-1.0 caret peer range: the next core minor would not satisfy it', () => {
    const problems = check([core(), plugin({ peerDependencies: { '@oslo-messaging/core': '^0.1.0' } })]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^packages\/driver-x: peerDependencies @oslo-messaging\/core@\^0\.1\.0 excludes 0\.2\.0; lerna does not rewrite peer ranges.*">=0\.1\.0 <1\.0\.0"/,
      ),
    ]);
    expect(check([core(), plugin({ peerDependencies: { '@oslo-messaging/core': '~0.1.0' } })])).toHaveLength(1);
  });

  it('refuses a peer range that admits the next major, and one that misses the workspace version', () => {
    expect(check([core(), plugin({ peerDependencies: { '@oslo-messaging/core': '>=0.1.0' } })])).toEqual([
      expect.stringContaining('admits the next major 1.0.0'),
    ]);
    expect(check([core(), plugin({ peerDependencies: { '@oslo-messaging/core': '*' } })])).toEqual([
      expect.stringContaining('admits the next major 1.0.0'),
    ]);
    expect(check([core('0.2.0'), plugin({ peerDependencies: { '@oslo-messaging/core': '^0.1.0' } })])).toEqual([
      expect.stringContaining('does not include the workspace @oslo-messaging/core 0.2.0 (an invalid peer'),
    ]);
    expect(check([core('0.2.0'), plugin({ devDependencies: { '@oslo-messaging/core': '^0.1.0' } })])).toEqual([
      expect.stringContaining(
        'does not include the workspace @oslo-messaging/core 0.2.0 (npm would look for it in the registry)',
      ),
    ]);
    expect(check([core(), plugin({ peerDependencies: { '@oslo-messaging/core': 'latest' } })])).toEqual([
      expect.stringContaining('is not a semver range'),
    ]);
  });

  it('a package lerna does not version (an example) needs the span on every kind of dependency', () => {
    const example = (range: string) =>
      plugin({ dependencies: { '@oslo-messaging/core': range } }, 'examples/demo', false);
    expect(check([core(), example('>=0.1.0 <1.0.0')])).toEqual([]);
    expect(check([core(), example('^0.1.0')])).toEqual([
      expect.stringContaining('excludes 0.2.0; lerna does not version this package'),
    ]);
    // the same caret dependency is fine in a package lerna versions: lerna rewrites it on each bump
    expect(check([core(), plugin({ dependencies: { '@oslo-messaging/core': '^0.1.0' } })])).toEqual([]);
  });

  it('ignores ranges on packages outside the workspace', () => {
    expect(
      check([core(), plugin({ peerDependencies: { vitest: '^4.0.0' }, dependencies: { amqplib: '^0.1.0' } })]),
    ).toEqual([]);
  });
});
