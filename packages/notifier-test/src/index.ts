/** Notification driver that keeps notifications in memory for assertions */
export {};
