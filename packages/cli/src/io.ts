/** Where a command writes; tests and the binary give process streams. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  readonly interactive: boolean;
  /** Raw progress output (no newline), for TTYs. */
  progress(text: string): void;
  /** Resolves when the user presses Ctrl-C. */
  readonly interrupted: Promise<void>;
}

/** The process's own streams and SIGINT. */
export function processIo(): Io {
  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    interactive: process.stderr.isTTY === true,
    progress: (text) => void process.stderr.write(`\r${text}\u001b[K`),
    interrupted,
  };
}
