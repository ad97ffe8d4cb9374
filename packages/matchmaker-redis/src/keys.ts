import type { Target } from '@oslo-messaging/core';

/** oslo's key schema: `<type>/<topic>` and `<type>/<topic>/<server>` (server cut at the first `@`). */
export function redisKeys(target: Target, listenerType: string): { topic: string; server: string | undefined } {
  const topic = `${listenerType}/${String(target.topic)}`;
  return { topic, server: target.server ? `${topic}/${target.server.split('@')[0]}` : undefined };
}
