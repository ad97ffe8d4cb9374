import { describe, expect, it } from 'vitest';
import { fnmatch, fnmatchToRegExp } from './fnmatch.js';

describe('fnmatch (Python fnmatch.fnmatchcase)', () => {
  // Expected values come from Python 3's fnmatch.fnmatchcase on the same inputs.
  it.each([
    ['compute.instance.create.end', 'compute.*', true],
    ['compute.instance.create.end', 'compute.*.end', true],
    ['a/b', 'a*', true],
    ['compute', 'compute.*', false],
    ['abc', 'a?c', true],
    ['abc', 'a[bx]c', true],
    ['abc', 'a[!b]c', false],
    ['a[c', 'a[c', true],
    ['a]c', 'a[]]c', true],
    ['a-c', 'a[!]]c', true],
    ['ABC', 'abc', false],
    ['a.c', 'a.c', true],
    ['abc', 'a.c', false],
    ['a\nb', 'a*b', true],
    ['x+y', 'x+y', true],
    ['a^b', 'a[^]b', true],
    ['ab', 'a[^x]', false],
    ['a!', 'a[!!]', false],
    ['a\\\\b', 'a\\\\b', true],
    ['ac', 'a[]c', false],
    ['a]c', 'a[]c', false],
    ['a[]c', 'a[]c', true],
    ['a-b', 'a[a-c]b', false],
    ['abb', 'a[a-c]b', true],
    ['a-b', 'a[-]b', true],
    ['', '*', true],
    ['a', '', false],
    ['(x)', '(x)', true],
    ['a$', 'a$', true],
  ] as const)('%j against %j -> %s', (name, pattern, expected) => {
    expect(fnmatch(name, pattern)).toBe(expected);
  });

  it('collapses runs of stars and anchors both ends', () => {
    expect(fnmatchToRegExp('a**b').source).toBe('^(?:a.*b)$');
    expect(fnmatch('xab', 'ab')).toBe(false);
    expect(fnmatch('abx', 'ab')).toBe(false);
  });

  it('rejects a reversed range', () => {
    expect(() => fnmatchToRegExp('[z-a]')).toThrow(SyntaxError);
  });
});
