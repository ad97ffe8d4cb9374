/**
 * `@oslo-messaging/matchmaker-redis`: where ZeroMQ servers announce themselves, in Redis (oslo's key
 * schema, via ioredis). `redis` talks to the URL's hosts (or `[matchmaker_redis] host/port`); `sentinel`
 * finds the master of a Sentinel group (`zmq+sentinel://s1:26379,s2:26379/<group>`).
 *
 * @packageDocumentation
 */
import { ConfigurationError } from '@oslo-messaging/core';
import { defineMatchmaker, type MatchmakerContext } from '@oslo-messaging/core/spi';
import { REDIS_OPTIONS } from './options.js';
import { RedisMatchmaker } from './redis-matchmaker.js';

export { RedisMatchmaker } from './redis-matchmaker.js';
export { REDIS_OPTIONS } from './options.js';
/** oslo's key schema (core's `matchmakerKeys`), under the name this package exported first. */
export { matchmakerKeys as redisKeys } from '@oslo-messaging/core/spi';

function hostPort(spec: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(spec.trim());
  if (!m) throw new ConfigurationError(`Sentinel host "${spec}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

function createRedis(context: MatchmakerContext): RedisMatchmaker {
  const o = context.options('matchmaker_redis', REDIS_OPTIONS);
  const fromUrl = context.url.hosts.filter((h) => h.hostname);
  const instances =
    fromUrl.length > 0
      ? fromUrl.map((h) => ({
          host: h.hostname!,
          port: h.port ?? 6379,
          ...((h.password ?? o.password) ? { password: h.password ?? o.password } : {}),
          ...(h.username ? { username: h.username } : {}),
        }))
      : [{ host: o.host, port: o.port, ...(o.password ? { password: o.password } : {}) }];
  return RedisMatchmaker.connect(instances, o.socket_timeout, context.logger);
}

function createSentinel(context: MatchmakerContext): RedisMatchmaker {
  const o = context.options('matchmaker_redis', REDIS_OPTIONS);
  const fromUrl = context.url.hosts.filter((h) => h.hostname);
  const sentinels =
    fromUrl.length > 0
      ? fromUrl.map((h) => ({ host: h.hostname!, port: h.port ?? 26379 }))
      : o.sentinel_hosts.map(hostPort);
  if (sentinels.length === 0)
    throw new ConfigurationError(
      'The sentinel matchmaker needs sentinel hosts: zmq+sentinel://host:26379/<group> or [matchmaker_redis] sentinel_hosts',
    );
  const password = fromUrl.find((h) => h.password)?.password ?? o.password;
  const name = context.url.virtualHost || o.sentinel_group_name;
  return RedisMatchmaker.connect(
    [{ sentinels, name, ...(password ? { password } : {}) }],
    o.socket_timeout,
    context.logger,
  );
}

/** The `redis` matchmaker plugin. */
export const redisMatchmaker = defineMatchmaker({ name: 'redis', create: createRedis });

/** The `sentinel` matchmaker plugin: the same store, through Redis Sentinel. */
export const sentinelMatchmaker = defineMatchmaker({ name: 'sentinel', create: createSentinel });
