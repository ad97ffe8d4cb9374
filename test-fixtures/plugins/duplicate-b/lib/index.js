export const dupDriver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'dup-b',
  create() {
    throw new Error('not used');
  },
};
