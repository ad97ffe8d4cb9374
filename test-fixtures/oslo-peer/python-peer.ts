// Drives test-fixtures/oslo-peer/peer.py (the real Python oslo.messaging 14, run with Debian's
// /usr/bin/python3) from vitest interop tests of any driver: long-lived servers and listeners, and
// one-shot calls and notifications, each answering in JSON lines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PEER_SCRIPT = fileURLToPath(new URL('./peer.py', import.meta.url));

export interface PythonPeer {
  readonly lines: Array<Record<string, unknown>>;
  readonly proc: ChildProcessWithoutNullStreams;
  until(check: (lines: Array<Record<string, unknown>>) => boolean, what: string, seconds?: number): Promise<void>;
}

/** Python peers talking to `url`; `killAll()` ends the ones still running (call it after each test). */
export function pythonPeers(url: string) {
  const running: PythonPeer[] = [];

  /** Starts the Python peer with `args` (mode first); it prints one JSON line per event. */
  const peer = (args: string[]): PythonPeer => {
    const proc = spawn('/usr/bin/python3', [PEER_SCRIPT, ...args, '--url', url], { stdio: 'pipe' });
    const lines: Array<Record<string, unknown>> = [];
    let buf = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not ours (library output)
        }
      }
    });
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const p: PythonPeer = {
      lines,
      proc,
      until: async (check, what, seconds = 30) => {
        const deadline = Date.now() + seconds * 1000;
        while (!check(lines)) {
          if (Date.now() > deadline || (proc.exitCode !== null && !check(lines))) throw new Error(`Python peer: timed out waiting for ${what}; exit ${proc.exitCode}; stderr: ${stderr}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      },
    };
    running.push(p);
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

  const killAll = () => {
    for (const p of running.splice(0)) if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
  };

  return { peer, python, installed, killAll };
}
