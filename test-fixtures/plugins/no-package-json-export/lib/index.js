// Its package.json "exports" do not list ./package.json: the registry must still read the manifest.
export const sealedDriver = {
  [Symbol.for('oslo.messaging.entryPoint')]: { group: 'oslo.messaging.drivers', apiVersion: 2 },
  name: 'sealed',
  create() {
    throw new Error('not used');
  },
};
