/**
 * A connected AF_UNIX/SOCK_DGRAM socket (Python: `socket.socket(AF_UNIX, SOCK_DGRAM)` then
 * `connect(path)`), over the `unix-dgram` native addon: Node.js has no unix datagram sockets.
 */
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

/** What the sender needs from a datagram socket; the tests give their own. */
export interface DatagramSocket {
  /**
   * Sends one datagram without blocking: `sent`, or `congestion` when the receiver's queue is full
   * (EAGAIN; then {@link DatagramSocket.onWritable} fires once it drains).
   *
   * @throws an `Error` with `code` (`ECONNREFUSED`, ...) when the send fails
   */
  send(datagram: Buffer): 'sent' | 'congestion';
  /** Calls `listener` once, when a send that met congestion may be tried again. */
  onWritable(listener: () => void): void;
  /** Closes the socket; never throws. */
  close(): void;
}

/**
 * Opens a socket connected to `path`.
 *
 * @throws an `Error` with `code` (`ENOENT`: no socket there; `ECONNREFUSED`: nobody bound it)
 */
export type DatagramConnect = (path: string) => DatagramSocket;

interface UnixDgramSocket {
  on(event: 'error', listener: (err: Error & { code?: number | string }) => void): void;
  on(event: 'writable', listener: () => void): void;
  once(event: 'writable', listener: () => void): void;
  removeAllListeners(event?: string): void;
  connect(path: string): void;
  send(buf: Buffer, callback: (err?: Error & { code?: number | string }) => void): void;
  close(): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

let addon: UnixDgram | undefined;

/**
 * Loads `unix-dgram` (its native addon is built by its install script, `node-gyp rebuild`).
 *
 * @throws an `Error` saying how to build it when the addon is missing
 */
export function loadUnixDgram(): UnixDgram {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
  } catch (err) {
    throw new Error(
      '@oslo-messaging/metrics needs the native addon of "unix-dgram" (unix datagram sockets), which is not built. ' +
        "npm builds it when it may run that package's install script: approve it with `npm install-scripts approve unix-dgram` " +
        '(or "allowScripts": { "unix-dgram": true } in your package.json), have g++, make and python3, then run `npm rebuild unix-dgram`. ' +
        `Cause: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return addon;
}

/** unix-dgram reports errors as `syscall -errno`: give them Node's usual `code` and message. */
function systemError(err: Error & { code?: number | string }, syscall: string, path: string): Error & { code: string } {
  const errno = typeof err.code === 'number' ? err.code : Number(/-\d+/.exec(err.message)?.[0]);
  const [code, text] = (Number.isInteger(errno) ? getSystemErrorMap().get(errno) : undefined) ?? [
    String(err.code ?? 'EIO'),
    err.message,
  ];
  const e = new Error(`${syscall} ${code} ${path}: ${text}`) as Error & { code: string; syscall: string; path: string };
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** {@link DatagramConnect} over `unix-dgram`: `connect(2)` then non-blocking `send(2)`. */
export const connectUnixDatagram: DatagramConnect = (path) => {
  const sock = loadUnixDgram().createSocket('unix_dgram');
  let failed: Error | undefined;
  // unix-dgram reports a failed connect() as an 'error' event, synchronously.
  sock.on('error', (err) => void (failed ??= systemError(err, 'connect', path)));
  sock.connect(path);
  const close = () => {
    sock.removeAllListeners();
    try {
      sock.close();
    } catch {
      // already closed
    }
  };
  if (failed) {
    close();
    throw failed;
  }
  return {
    send(datagram) {
      let result: (Error & { code?: number | string }) | undefined;
      let called = false;
      // The callback runs synchronously: 'congestion' (EAGAIN/ENOBUFS) or `send -errno`.
      sock.send(datagram, (err) => {
        called = true;
        result = err;
      });
      if (!called) throw new Error('unix-dgram did not report the send');
      if (!result) return 'sent';
      if (result.message === 'congestion') return 'congestion';
      throw systemError(result, 'send', path);
    },
    onWritable(listener) {
      sock.once('writable', listener);
    },
    close,
  };
};
