export const convDriver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'conv',
  create() {
    throw new Error('not used');
  },
};
