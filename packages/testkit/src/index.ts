/** Driver conformance suite (vitest) for oslo-messaging transport drivers */
export {};
