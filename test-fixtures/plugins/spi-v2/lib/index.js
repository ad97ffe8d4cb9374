export const spi2Driver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'spi2',
  create() {
    throw new Error('not used');
  },
};
