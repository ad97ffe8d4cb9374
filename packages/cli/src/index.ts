/**
 * `@oslo-messaging/cli`: the `oslo-messaging` command. The same functions are exported for tools
 * that want to run a command in-process.
 *
 * @packageDocumentation
 */
export { main, MAIN_HELP } from './main.js';
export { EXIT } from './exit-codes.js';
export { plotSvg, runBench } from './commands/bench.js';
export type { BenchLevel, RunBenchOptions } from './commands/bench.js';
export type { Io } from './io.js';
