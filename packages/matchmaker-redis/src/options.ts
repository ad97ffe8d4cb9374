import { defineOptions } from '@oslo-messaging/core/spi';

/** The `[matchmaker_redis]` options (oslo.messaging 8.1 names and defaults). */
export const REDIS_OPTIONS = defineOptions({
  host: { type: 'string', default: '127.0.0.1', help: 'Redis host, used when the transport URL names none.' },
  port: { type: 'int', default: 6379, min: 1, max: 65535, help: 'Redis port, used when the transport URL names none.' },
  password: { type: 'string', default: '', secret: true, help: 'Redis password (a password in the URL wins).' },
  sentinel_hosts: {
    type: 'list',
    default: [],
    help: 'Sentinels as host:port, for the sentinel matchmaker when the URL names none.',
  },
  sentinel_group_name: {
    type: 'string',
    default: 'oslo-messaging-zeromq',
    help: "Sentinel master group (the URL's virtual host wins).",
  },
  socket_timeout: { type: 'int', default: 10000, min: 1, help: 'Milliseconds for connecting and for each command.' },
});
