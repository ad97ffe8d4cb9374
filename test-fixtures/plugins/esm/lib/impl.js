// A hand-written ESM plugin for the plugin registry tests: no build step, imports only a relative file.
export function createDriver() {
  return {
    async send(_target, _ctxt, request) {
      return { from: 'esm', method: request.method };
    },
    async sendNotification() {},
    async listen() {
      throw new Error('not supported by the fixture');
    },
    async listenForNotifications() {
      throw new Error('not supported by the fixture');
    },
    async cleanup() {},
  };
}
