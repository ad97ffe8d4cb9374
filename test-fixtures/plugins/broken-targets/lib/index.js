export const plainObject = { name: 'unbranded', create() {} };
export const anExecutor = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.executors', apiVersion: 2 },
  create() {},
};
