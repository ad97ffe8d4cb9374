#!/usr/bin/env node
// `oslo-messaging-send-notification`: upstream oslo.messaging's console script of that name, same arguments.
import { processIo } from './io.js';
import { main } from './main.js';

process.exitCode = await main(['send-notification', ...process.argv.slice(2)], processIo());
// Transports are cleaned up by the command; exit now rather than wait for stray timers.
process.exit();
