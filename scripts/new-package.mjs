#!/usr/bin/env node
// Creates packages/<name> with the house skeleton: package.json (exports, files, manifest stub,
// core as peer dependency), tsconfig, README and src/index.ts. Usage:
//   node scripts/new-package.mjs <name> "<description>" [--group oslo.messaging.drivers --entry NAME=EXPORT ...]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, description = '', ...rest] = process.argv.slice(2);
const usage = 'usage: node scripts/new-package.mjs <name> "<description>" [--group GROUP --entry NAME=EXPORT ...]';
if (name === '--help' || name === '-h') {
  console.log(usage);
  process.exit(0);
}
// A name starts with a letter or digit: "--help" or "-x" is never a package folder.
if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
  console.error(usage);
  process.exit(2);
}
const dir = join(root, 'packages', name);
if (existsSync(dir)) {
  console.error(`packages/${name} exists already`);
  process.exit(1);
}
const entryPoints = {};
let group;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--group') group = rest[++i];
  else if (rest[i] === '--entry') {
    const [n, exp] = rest[++i].split('=');
    (entryPoints[group] ??= {})[n] = `./dist/index.js#${exp}`;
  }
}
const coreVersion = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8')).version;
const pkg = {
  name: `@oslo-messaging/${name}`,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
  types: './dist/index.d.ts',
  files: ['dist', '!dist/**/*.test.*', '!dist/.tsbuildinfo', 'README.md', 'CHANGELOG.md'],
  engines: { node: '>=20.19.0' },
  repository: {
    type: 'git',
    url: 'https://github.com/oslo-messaging/oslo-messaging-ts.git',
    directory: `packages/${name}`,
  },
  publishConfig: { access: 'public' },
  ...(Object.keys(entryPoints).length > 0 ? { 'oslo.messaging': { schema: 1, spi: 2, entryPoints } } : {}),
  // A peer range spans core's major (lerna never rewrites peers; pre-1.0 ^0.x would mean "this minor only").
  peerDependencies: { '@oslo-messaging/core': `>=${coreVersion} <${Number(coreVersion.split('.')[0]) + 1}.0.0` },
  devDependencies: { '@oslo-messaging/core': `^${coreVersion}` },
};
mkdirSync(join(dir, 'src'), { recursive: true });
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', references: [{ path: '../core' }] }, null, 2)}\n`,
);
writeFileSync(join(dir, 'src/index.ts'), `/** ${description} */\nexport {};\n`);
writeFileSync(
  join(dir, 'README.md'),
  `# @oslo-messaging/${name}\n\n${description}\n\n## Install\n\n\`\`\`sh\nnpm install @oslo-messaging/core @oslo-messaging/${name}\n\`\`\`\n\n## Options\n\n| oslo name | TS name | default | meaning |\n|---|---|---|---|\n\n## Example\n\n\`\`\`ts\n\`\`\`\n`,
);
// lerna's header only: `lerna version` adds the entries below it (its first one is this package's first release).
writeFileSync(
  join(dir, 'CHANGELOG.md'),
  '# Change Log\n\nAll notable changes to this project will be documented in this file.\nSee [Conventional Commits](https://conventionalcommits.org) for commit guidelines.\n',
);
console.log(`created packages/${name}; run npm install to link it`);
