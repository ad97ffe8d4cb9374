/** Redis matchmaker for the ZeroMQ driver (ioredis, Sentinel support) */
export {};
