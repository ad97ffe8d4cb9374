export const dupDriver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'dup-a',
  create() {
    throw new Error('not used');
  },
};
