/** Executor that handles one message at a time, in order */
export {};
