export const spi1Driver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 1 },
  name: 'spi1',
  create() {
    throw new Error('not used');
  },
};
