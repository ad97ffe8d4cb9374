#!/usr/bin/env node
// The command's entry, committed so that npm links it at install time, before `npm run build`
// has produced dist/ (npm does not link a bin whose file is missing).
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin.js')) {
    process.stderr.write('oslo-messaging: the CLI is not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
