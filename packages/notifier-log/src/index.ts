/** Notification driver that writes one structured log line per notification */
export {};
