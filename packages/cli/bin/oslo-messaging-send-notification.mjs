#!/usr/bin/env node
// Upstream oslo.messaging's `oslo-messaging-send-notification`, with its arguments (see the README).
// Committed so that npm links it at install time, before `npm run build` has produced dist/ (npm does
// not link a bin whose file is missing).
try {
  await import('../dist/send-notification-bin.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/send-notification-bin.js')) {
    process.stderr.write('oslo-messaging-send-notification: the CLI is not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
