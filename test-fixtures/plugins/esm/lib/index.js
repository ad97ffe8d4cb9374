import { createDriver } from './impl.js';

globalThis.__osloFixtureImports = (globalThis.__osloFixtureImports ?? 0) + 1;
const BRAND = Symbol.for('oslo.messaging.entryPoint');

export const esmDriver = {
  [BRAND]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'esm',
  create: () => createDriver(),
};

export const esmExecutor = {
  [BRAND]: { group: 'oslo.messaging.executors', apiVersion: 2 },
  name: 'esm-exec',
  create: () => ({ submit: async (task) => task(), shutdown: async () => {} }),
};
