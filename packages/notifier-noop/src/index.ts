/** Notification driver that drops notifications */
export {};
