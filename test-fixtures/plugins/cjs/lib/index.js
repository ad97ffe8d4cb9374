'use strict';
// A hand-written CommonJS plugin for the plugin registry tests.
const BRAND = Symbol.for('oslo.messaging.entryPoint');
exports.cjsDriver = {
  [BRAND]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'cjs',
  create() {
    return {
      send: async () => 'cjs-reply',
      sendNotification: async () => {},
      listen: async () => {
        throw new Error('not supported by the fixture');
      },
      listenForNotifications: async () => {
        throw new Error('not supported by the fixture');
      },
      cleanup: async () => {},
    };
  },
};
