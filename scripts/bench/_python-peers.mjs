// The two Python oslo.messaging anchors of the benches, as the interop tests run them
// (test-fixtures/oslo-peer/python-peer.ts, whose extraction this copies: a .mjs cannot import that .ts):
// Debian's 14.0.3 under /usr/bin/python3, and upstream 18.1.0 from ../shared/peers/oslo.messaging-18.1.0.tar.gz,
// extracted once per content into $TMPDIR/oslo-messaging-ts-peers/ and run with PYTHONPATH + PBR_VERSION.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** ../shared beside the repo; from a linked git worktree, beside the main checkout. */
function sharedDir() {
  if (process.env.OSLO_SHARED_DIR) return process.env.OSLO_SHARED_DIR;
  const beside = join(REPO_ROOT, '..', 'shared');
  if (existsSync(beside)) return beside;
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    return join(dirname(common), '..', 'shared');
  } catch {
    return beside;
  }
}
const TARBALL = join(sharedDir(), 'peers', 'oslo.messaging-18.1.0.tar.gz');
const BENCH_PY = fileURLToPath(new URL('../../test-fixtures/oslo-peer/bench.py', import.meta.url));

/** Debian's python3-oslo.messaging. */
export const DEBIAN = { label: 'python oslo.messaging 14.0.3', version: '14.0.3', env: {} };

/** Upstream 18.1.0 extracted from the tarball; throws when it is missing. */
export async function upstream() {
  if (!existsSync(TARBALL)) throw new Error(`${TARBALL} is missing`);
  const sha = createHash('sha256').update(readFileSync(TARBALL)).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), 'oslo-messaging-ts-peers');
  const dir = join(cache, `oslo.messaging-18.1.0-${sha}`);
  if (!existsSync(join(dir, '.extracted'))) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'extract-'));
    await promisify(execFile)('tar', ['xzf', TARBALL, '-C', work]);
    const root = existsSync(join(work, 'oslo_messaging'))
      ? work
      : join(work, readdirSync(work).find((d) => existsSync(join(work, d, 'oslo_messaging'))) ?? '.');
    if (!existsSync(join(root, 'oslo_messaging', '__init__.py')))
      throw new Error(`${TARBALL} holds no oslo_messaging package`);
    writeFileSync(join(root, '.extracted'), `${TARBALL} ${sha}\n`);
    try {
      renameSync(root, dir);
    } catch (err) {
      if (!existsSync(join(dir, '.extracted'))) throw err;
    }
    rmSync(work, { recursive: true, force: true });
  }
  return { label: 'python oslo.messaging 18.1.0', version: '18.1.0', env: { PYTHONPATH: dir, PBR_VERSION: '18.1.0' } };
}

/**
 * Runs test-fixtures/oslo-peer/bench.py (`mode`: seq | par10) with `peer` against `url` for `seconds`;
 * returns { rate, p50, p99 }. Throws when the process imported another oslo.messaging than `peer`'s.
 */
export async function pythonBench(peer, url, mode, seconds) {
  const env = { ...process.env };
  delete env.PYTHONPATH;
  delete env.PBR_VERSION;
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [BENCH_PY, url, mode, String(seconds)], {
    env: { ...env, ...peer.env },
    timeout: 120_000,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  if (r.oslo_messaging !== peer.version)
    throw new Error(`bench.py imported oslo.messaging ${r.oslo_messaging} from ${r.path}, expected ${peer.version}`);
  return { rate: r.calls / r.seconds, p50: r.p50_ms, p99: r.p99_ms };
}
