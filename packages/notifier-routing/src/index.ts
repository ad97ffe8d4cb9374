/** Notification driver routing by event type and priority to other drivers (oslo's YAML routing config) */
export {};
