/** `[DEFAULT] rpc_response_timeout`'s default: seconds a call waits for its reply when nobody says otherwise. */
export const DEFAULT_RPC_RESPONSE_TIMEOUT = 60;
