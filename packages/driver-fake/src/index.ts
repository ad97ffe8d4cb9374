/** In-memory transport driver (scheme fake://) with real broker semantics, for demos and unit tests */
export {};
