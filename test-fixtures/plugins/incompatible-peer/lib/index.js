globalThis.__osloFixturePeerImported = true;
export const futureDriver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'future',
  create() {
    throw new Error('not used');
  },
};
