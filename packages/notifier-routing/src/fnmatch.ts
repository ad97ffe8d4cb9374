/**
 * Python's `fnmatch.fnmatchcase`: shell-style patterns over a whole string, case-sensitive.
 * `*` matches anything (dots and slashes too), `?` one character, `[seq]` one of seq, `[!seq]`
 * none of seq; a `[` without its `]` is literal.
 */

const cache = new Map<string, RegExp>();

function escapeLiteral(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Translates a pattern into an anchored regular expression (Python: `fnmatch.translate`). Throws `SyntaxError` for a bad range such as `[z-a]`. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      let set = pattern.slice(i, j);
      i = j + 1;
      let negate = false;
      if (set.startsWith('!')) {
        negate = true;
        set = set.slice(1);
      }
      // Inside a JS class only \ ] ^ need escaping here ('-' keeps its range meaning, as in Python).
      const body = set.replace(/[\\\]^]/g, '\\$&');
      out += negate ? (body === '' ? '.' : `[^${body}]`) : `[${body}]`;
    } else {
      out += escapeLiteral(c);
    }
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** Whether `name` matches the shell-style `pattern`, case-sensitively (Python: `fnmatch.fnmatchcase`). */
export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = fnmatchToRegExp(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(name);
}
