import { ConfigurationError, InvalidTransportURL, MessagingException, PluginLoadFailure } from '@oslo-messaging/core';

/** Exit codes of the `oslo-messaging` command (documented in the README). */
export const EXIT = {
  OK: 0,
  /** The remote side failed, or a call timed out, or sending failed. */
  MESSAGING_ERROR: 1,
  /** Bad command line. */
  USAGE: 2,
  /** A plugin is missing, or the configuration or URL is wrong. */
  SETUP: 3,
  /** Stopped with Ctrl-C. */
  INTERRUPTED: 130,
} as const;

/** Thrown for command-line mistakes. */
export class UsageError extends Error {}

/** The exit code for an error. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof PluginLoadFailure || err instanceof ConfigurationError || err instanceof InvalidTransportURL)
    return EXIT.SETUP;
  if (err instanceof MessagingException) return EXIT.MESSAGING_ERROR;
  return EXIT.MESSAGING_ERROR;
}
