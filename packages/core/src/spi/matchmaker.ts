import type { Logger } from '../logger.js';
import type { Target } from '../target.js';
import type { TransportURL } from '../transport-url.js';
import type { OptionSchema, ResolvedOptions } from './options.js';

/**
 * Where brokerless (ZeroMQ) servers announce themselves and clients find them
 * (oslo's `MatchmakerBase`). Addresses are `host:port` strings.
 */
export interface Matchmaker {
  /** Announces `address` for `target` (topic and, if set, topic+server) with a time-to-live in seconds. */
  register(target: Target, address: string, listenerType: string, expireSeconds: number): Promise<void>;
  /** Withdraws what {@link Matchmaker.register} announced (a server stopping). */
  unregister(target: Target, address: string, listenerType: string): Promise<void>;
  /** Live addresses for a target: the server's if `target.server` is set, else the topic's. */
  getHosts(target: Target, listenerType: string): Promise<string[]>;
  /** Live addresses of every server on the topic (fanout). */
  getHostsFanout(target: Target, listenerType: string): Promise<string[]>;
  /** Releases connections (the transport is cleaned up). Idempotent. */
  close(): Promise<void>;
}

/**
 * oslo's matchmaker key schema, shared by every matchmaker so they stay interchangeable:
 * `<listenerType>/<topic>` and `<listenerType>/<topic>/<server>` (the server name cut at its first `@`).
 */
export function matchmakerKeys(
  target: Target,
  listenerType: string,
): {
  /** `<listenerType>/<topic>` */
  topic: string;
  /** `<listenerType>/<topic>/<server>`, when the target names a server */
  server: string | undefined;
} {
  const topic = `${listenerType}/${String(target.topic)}`;
  return { topic, server: target.server ? `${topic}/${target.server.split('@')[0]}` : undefined };
}

/** What the ZeroMQ driver gives a matchmaker factory. */
export interface MatchmakerContext {
  /** The transport URL (its hosts are the matchmaker's, e.g. Redis instances). */
  readonly url: TransportURL;
  /** Where the matchmaker logs. */
  readonly logger: Logger;
  /** Resolves the matchmaker's option group, as {@link DriverContext.options} does for drivers. */
  options<S extends OptionSchema>(group: string, schema: S): ResolvedOptions<S>;
}

/** The value a package exports for the `oslo.messaging.zmq.matchmaker` group. */
export interface MatchmakerFactory {
  /** The name the ZeroMQ driver is configured with, e.g. `redis`. */
  readonly name: string;
  /** Makes the matchmaker for one transport. */
  create(context: MatchmakerContext): Promise<Matchmaker> | Matchmaker;
}
