/** Notification priorities, lower case as in routing keys and endpoint method names. */
export const PRIORITIES = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'] as const;
/** One of {@link PRIORITIES}. */
export type Priority = (typeof PRIORITIES)[number];

/** What a notification endpoint returns (Python: `NotificationResult`). */
export const NotificationResult = {
  /** The notification was handled (what returning nothing means too). */
  HANDLED: 'handled',
  /** Give it back to the broker to be delivered again (needs `allowRequeue` on the listener). */
  REQUEUE: 'requeue',
} as const;
/** One of the {@link NotificationResult} values. */
export type NotificationResult = (typeof NotificationResult)[keyof typeof NotificationResult];

/** Whether `value` names a priority. */
export function isPriority(value: string): value is Priority {
  return (PRIORITIES as readonly string[]).includes(value);
}
