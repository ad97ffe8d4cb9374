/**
 * `@oslo-messaging/notifier-routing`: the `routing` notification driver, which sends each
 * notification to other drivers chosen by event type and priority, from oslo's YAML routing file.
 *
 * @packageDocumentation
 */
import { ConfigurationError } from '@oslo-messaging/core';
import {
  defineNotifierDriver,
  type Branded,
  type NotifierDriverContext,
  type NotifierDriverFactory,
} from '@oslo-messaging/core/spi';
import {
  loadRoutingConfigFile,
  normalizeRoutingConfig,
  parseRoutingConfig,
  type NormalizedRoutingConfig,
  type RoutingConfigInput,
} from './routing-config.js';
import { RoutingNotifierDriver } from './routing-driver.js';

export { RoutingNotifierDriver } from './routing-driver.js';
export { loadRoutingConfigFile, normalizeRoutingConfig, parseRoutingConfig, selectDrivers } from './routing-config.js';
export type {
  NormalizedRoutingConfig,
  RoutingConfig,
  RoutingConfigInput,
  RoutingRules,
  RoutingRulesInput,
} from './routing-config.js';
export { fnmatch, fnmatchToRegExp } from './fnmatch.js';

/** Options of {@link createRoutingNotifierDriver}: where the routes come from (default: `routing_config` of `[oslo_messaging_notifications]`). */
export interface RoutingNotifierOptions {
  /** The routes, as an object in oslo's shape or as YAML text. */
  readonly config?: RoutingConfigInput | string | undefined;
  /** A YAML file with the routes. */
  readonly file?: string | undefined;
  /** Plugin name (default `routing`). */
  readonly name?: string | undefined;
}

function settingsFile(context: NotifierDriverContext): string | undefined {
  const value = context.settings['routing_config'] ?? context.settings['routingConfig'];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ConfigurationError(
      `[oslo_messaging_notifications] routing_config must be a file path, got ${typeof value}`,
    );
  return value;
}

async function routesFor(
  options: RoutingNotifierOptions,
  context: NotifierDriverContext,
): Promise<NormalizedRoutingConfig | undefined> {
  if (options.config !== undefined && options.file !== undefined) {
    throw new ConfigurationError('createRoutingNotifierDriver takes either config or file, not both');
  }
  if (typeof options.config === 'string') return parseRoutingConfig(options.config, 'routing config');
  if (options.config !== undefined) return normalizeRoutingConfig(options.config, 'routing config');
  const file = options.file ?? settingsFile(context);
  return file === undefined ? undefined : loadRoutingConfigFile(file);
}

/**
 * Makes a `routing` driver plugin with its routes given in code or from a file of your choice.
 * Register it with `registry.register(ENTRY_POINT_GROUPS.notifyDrivers, 'routing', plugin)`.
 * The file or text is read when the notifier first loads its drivers; a bad one fails that load
 * with a `ConfigurationError` (logged by the notifier).
 */
export function createRoutingNotifierDriver(options: RoutingNotifierOptions = {}): Branded<NotifierDriverFactory> {
  return defineNotifierDriver({
    name: options.name ?? 'routing',
    async create(context) {
      const routes = await routesFor(options, context);
      if (!routes) {
        context.logger.warn('The routing notification driver has no routing_config: every notification is dropped');
      }
      for (const warning of routes?.warnings ?? []) context.logger.warn(warning);
      return new RoutingNotifierDriver(routes?.config ?? {}, (name) => context.loadDriver(name), context.logger);
    },
  });
}

/** The `routing` notifier driver plugin (entry point `oslo.messaging.notify.drivers:routing`), routes from `[oslo_messaging_notifications] routing_config`. */
export const routingNotifierDriver: Branded<NotifierDriverFactory> = createRoutingNotifierDriver();
