import {
  MessageDeliveryFailure,
  MessagingException,
  MessagingTimeout,
  NoSuchMethod,
  UnsupportedVersion,
} from '../errors.js';
import { registerRemoteErrors, type Failure, type RemoteErrorConstructor } from './failure.js';

/** Our own errors travel under oslo's Python module names, so each side re-creates the other's. */
registerRemoteErrors('oslo_messaging.rpc.dispatcher', {
  NoSuchMethod: Object.assign(NoSuchMethod as unknown as RemoteErrorConstructor, {
    fromRemote: (f: Failure) => new NoSuchMethod(f.message.replace(/^Endpoint does not support RPC method /, '')),
  }),
  UnsupportedVersion: Object.assign(UnsupportedVersion as unknown as RemoteErrorConstructor, {
    fromRemote: (f: Failure) => {
      const m = /RPC version (\S+)\. Attempted method: (.*)$/.exec(f.message);
      return new UnsupportedVersion(m?.[1] ?? String(f.args[0] ?? ''), m?.[2]);
    },
  }),
});
registerRemoteErrors('oslo_messaging.exceptions', {
  MessagingException,
  MessagingTimeout,
  MessageDeliveryFailure,
});
