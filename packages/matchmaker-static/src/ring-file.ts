import { readFileSync } from 'node:fs';
import { ConfigurationError } from '@oslo-messaging/core';

/** A parsed ring file: topic (or `topic.server`, or `*`) → `host:port` addresses, and per-server addresses. */
export interface Ring {
  readonly topics: ReadonlyMap<string, readonly string[]>;
  readonly servers: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}(\/.*)?$/;

function address(file: string, key: string, value: unknown): string {
  if (typeof value !== 'string' || !ADDRESS.test(value))
    throw new ConfigurationError(`Ring file ${file}: "${key}" lists ${JSON.stringify(value)}, which is not host:port`);
  return value;
}

/**
 * Parses oslo's ring file format, `{"topic": ["host:port", ...]}`, extended with a per-server form,
 * `{"topic": {"server": "host:port" | ["host:port", ...]}}`, and a `*` entry for every other topic.
 */
export function parseRing(text: string, file: string): Ring {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError(`Ring file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigurationError(`Ring file ${file} must hold a JSON object of topics`);
  const topics = new Map<string, string[]>();
  const servers = new Map<string, Map<string, string[]>>();
  for (const [topic, value] of Object.entries(data as Record<string, unknown>)) {
    if (Array.isArray(value))
      topics.set(
        topic,
        value.map((v) => address(file, topic, v)),
      );
    else if (typeof value === 'object' && value !== null) {
      const byServer = new Map<string, string[]>();
      for (const [server, v] of Object.entries(value as Record<string, unknown>))
        byServer.set(
          server,
          (Array.isArray(v) ? v : [v]).map((a) => address(file, `${topic}/${server}`, a)),
        );
      servers.set(topic, byServer);
      topics.set(topic, [...new Set([...byServer.values()].flat())]);
    } else
      throw new ConfigurationError(
        `Ring file ${file}: "${topic}" must map to a list of host:port or to {server: host:port}`,
      );
  }
  return { topics, servers };
}

export function readRing(file: string): Ring {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`Cannot read the ring file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseRing(text, file);
}
