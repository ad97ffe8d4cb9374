/** Notification priorities, lower case as in routing keys and endpoint method names. */
export const PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const;
/** One of {@link PRIORITIES}. */
export type Priority = (typeof PRIORITIES)[number];

/** What a notification endpoint returns (Python: `NotificationResult`). */
export const NotificationResult = { HANDLED: 'handled', REQUEUE: 'requeue' } as const;
export type NotificationResult = (typeof NotificationResult)[keyof typeof NotificationResult];

/** Whether `value` names a priority. */
export function isPriority(value: string): value is Priority {
  return (PRIORITIES as readonly string[]).includes(value);
}
