/** Static JSON-file matchmaker for the ZeroMQ driver (oslo's ring file) */
export {};
