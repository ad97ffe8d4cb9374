/** The oslo-messaging command: call, cast, notify, listen, serve, bench */
export {};
