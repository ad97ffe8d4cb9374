// Drives test-fixtures/oslo-peer/peer.py (the real Python oslo.messaging, run with Debian's
// /usr/bin/python3) from vitest interop tests of any driver: long-lived servers and listeners, and
// one-shot calls and notifications, each answering in JSON lines.
//
// Two Python peers: Debian's oslo.messaging 14.0.3 (python3-oslo.messaging), and upstream's 18.1.0,
// unmodified source from ../shared/peers/oslo.messaging-18.1.0.tar.gz (relative to the repo root),
// extracted into a cache directory under the OS temp dir and run on Debian's oslo dependencies with
// PYTHONPATH=<dir> PBR_VERSION=18.1.0. Every peer process reports which oslo.messaging it imported;
// a process reporting another version or location than its peer's fails the test that waits on it.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  mkdtempSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const PEER_SCRIPT = fileURLToPath(new URL('./peer.py', import.meta.url));
const REPO_ROOT = new URL('../../', import.meta.url);
/** `../shared` from the repo root: read-only material every developer and CI has. */
export const SHARED_DIR = fileURLToPath(new URL('../shared/', REPO_ROOT));
export const UPSTREAM_TARBALL = join(SHARED_DIR, 'peers', 'oslo.messaging-18.1.0.tar.gz');

/** One Python oslo.messaging to run peer.py with. */
export interface OsloPeer {
  /** For test names, e.g. `oslo.messaging 18.1.0 (upstream)`. */
  readonly label: string;
  /** The version the peer must report. */
  readonly version: string;
  /** The `oslo_messaging` package directory the peer must import. */
  readonly packageDir: string;
  /** Environment for /usr/bin/python3 (PYTHONPATH, PBR_VERSION). */
  readonly env: Readonly<Record<string, string>>;
}

/** What a peer process says it imported (its first output line). */
export interface ReportedOslo {
  readonly version: string | null;
  readonly path: string;
  readonly source: 'metadata' | 'PBR_VERSION';
}

/** Debian's python3-oslo.messaging 14.0.3. */
export const DEBIAN_PEER: OsloPeer = {
  label: 'oslo.messaging 14.0.3 (Debian)',
  version: '14.0.3',
  packageDir: '/usr/lib/python3/dist-packages/oslo_messaging',
  env: {},
};

let upstream: Promise<OsloPeer> | undefined;

/**
 * Upstream oslo.messaging 18.1.0: extracts the tarball from ../shared/peers once per content (into
 * `$TMPDIR/oslo-messaging-ts-peers/`, never into the repo) and checks that /usr/bin/python3 imports it.
 * Rejects, loudly, when the tarball is missing or 18.1 cannot be imported on Debian's dependencies.
 */
export function upstreamPeer(): Promise<OsloPeer> {
  upstream ??= prepareUpstream();
  return upstream;
}

async function prepareUpstream(): Promise<OsloPeer> {
  if (!existsSync(UPSTREAM_TARBALL)) {
    throw new Error(
      `upstream oslo.messaging 18.1.0 is missing: ${UPSTREAM_TARBALL} (../shared/peers relative to the repo root) must exist for the interop tests`,
    );
  }
  const sha = createHash('sha256').update(readFileSync(UPSTREAM_TARBALL)).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), 'oslo-messaging-ts-peers');
  const dir = join(cache, `oslo.messaging-18.1.0-${sha}`);
  if (!existsSync(join(dir, '.extracted'))) {
    mkdirSync(cache, { recursive: true });
    // Extract beside the final place, then rename: parallel test files never see half a tree.
    const work = mkdtempSync(join(cache, 'extract-'));
    await promisify(execFile)('tar', ['xzf', UPSTREAM_TARBALL, '-C', work]);
    // The tarball holds oslo_messaging/ at its top (or under one directory, as sdists do).
    const root = existsSync(join(work, 'oslo_messaging'))
      ? work
      : join(work, readdirSync(work).find((d) => existsSync(join(work, d, 'oslo_messaging'))) ?? '.');
    if (!existsSync(join(root, 'oslo_messaging', '__init__.py')))
      throw new Error(`${UPSTREAM_TARBALL} holds no oslo_messaging package`);
    writeFileSync(join(root, '.extracted'), `${UPSTREAM_TARBALL} ${sha}\n`);
    try {
      renameSync(root, dir);
    } catch (err) {
      // Another test file extracted it first.
      if (!existsSync(join(dir, '.extracted'))) throw err;
    }
    rmSync(work, { recursive: true, force: true });
  }
  const peer: OsloPeer = {
    label: 'oslo.messaging 18.1.0 (upstream)',
    version: '18.1.0',
    packageDir: join(dir, 'oslo_messaging'),
    env: { PYTHONPATH: dir, PBR_VERSION: '18.1.0' },
  };
  await checkPeer(peer);
  return peer;
}

/** Runs `peer.py version` for `peer`; rejects unless it imports that oslo.messaging from the expected place. */
export async function checkPeer(peer: OsloPeer): Promise<ReportedOslo> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('/usr/bin/python3', [PEER_SCRIPT, 'version'], {
      env: peerEnv(peer),
      timeout: 60_000,
    }));
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(
      `${peer.label} cannot run peer.py (is python3-oslo.messaging installed? does ${peer.packageDir} import on Debian's dependencies?): ${e.message}\n${e.stderr ?? ''}`,
    );
  }
  const reported = (JSON.parse(stdout.split('\n')[0]!) as { oslo_messaging: ReportedOslo }).oslo_messaging;
  if (reported.version !== peer.version || reported.path !== peer.packageDir) {
    throw new Error(
      `${peer.label}: peer.py imported oslo.messaging ${reported.version} from ${reported.path}, expected ${peer.version} from ${peer.packageDir}`,
    );
  }
  return reported;
}

function peerEnv(peer: OsloPeer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The Debian peer must not pick up a PYTHONPATH or PBR_VERSION from the caller's environment.
  delete env['PYTHONPATH'];
  delete env['PBR_VERSION'];
  return { ...env, ...peer.env };
}

export interface PythonPeer {
  readonly lines: Array<Record<string, unknown>>;
  readonly proc: ChildProcessWithoutNullStreams;
  /** What the process said it imported, once it has said it. */
  readonly reported: () => ReportedOslo | undefined;
  until(check: (lines: Array<Record<string, unknown>>) => boolean, what: string, seconds?: number): Promise<void>;
}

/**
 * Python peers talking to `url`, running `oslo` (default: Debian's 14.0.3); `killAll()` ends the ones
 * still running (call it after each test).
 */
export function pythonPeers(url: string, oslo: OsloPeer = DEBIAN_PEER) {
  const running: PythonPeer[] = [];
  const all: PythonPeer[] = [];

  /** Starts the Python peer with `args` (mode first); it prints one JSON line per event. */
  const peer = (args: string[]): PythonPeer => {
    // A process group of its own, as a service started by its supervisor has: upstream 18.1's queue
    // manager reads /proc/<process group>/stat, and the group of a test run may have lost its leader.
    const proc = spawn('/usr/bin/python3', [PEER_SCRIPT, ...args, '--url', url], {
      stdio: 'pipe',
      env: peerEnv(oslo),
      detached: true,
    });
    const lines: Array<Record<string, unknown>> = [];
    let reported: ReportedOslo | undefined;
    let buf = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not ours (library output)
        }
        if (obj['oslo_messaging'] && !reported) reported = obj['oslo_messaging'] as ReportedOslo;
        else lines.push(obj);
      }
    });
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const wrongPeer = () =>
      reported && (reported.version !== oslo.version || reported.path !== oslo.packageDir)
        ? `${oslo.label}: the peer imported oslo.messaging ${reported.version} from ${reported.path}, expected ${oslo.version} from ${oslo.packageDir}`
        : undefined;
    const p: PythonPeer = {
      lines,
      proc,
      reported: () => reported,
      until: async (check, what, seconds = 30) => {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
          const wrong = wrongPeer();
          if (wrong) throw new Error(wrong);
          if (check(lines)) {
            if (!reported)
              throw new Error(`${oslo.label}: the peer answered without saying which oslo.messaging it runs`);
            return;
          }
          if (Date.now() > deadline || proc.exitCode !== null)
            throw new Error(
              `Python peer (${oslo.label}): timed out waiting for ${what}; exit ${proc.exitCode}; stderr: ${stderr}`,
            );
          await new Promise((r) => setTimeout(r, 25));
        }
      },
    };
    running.push(p);
    all.push(p);
    return p;
  };

  /** Runs a one-shot command (call/notify) and returns its JSON line. */
  const python = async (args: string[]): Promise<Record<string, unknown>> => {
    const p = peer(args);
    await p.until((l) => l.length > 0, `${args[0]} to answer`);
    return p.lines[0]!;
  };

  /** Exit code of `peer.py --help`: 0 when Python oslo.messaging is installed. */
  const installed = async (): Promise<number | null> => {
    const check = peer(['--help']);
    await new Promise((r) => check.proc.on('exit', r));
    return check.proc.exitCode;
  };

  /** The versions reported by every peer process started so far (each one checked by `until`). */
  const reportedVersions = () => [...new Set(all.map((p) => p.reported()?.version).filter((v) => v !== undefined))];

  const killAll = () => {
    for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
  };

  return { oslo, peer, python, installed, reportedVersions, killAll };
}
