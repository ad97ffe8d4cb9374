import { readFile } from 'node:fs/promises';
import { ConfigurationError } from '@oslo-messaging/core';
import { parse as parseYaml } from 'yaml';
import { fnmatch, fnmatchToRegExp } from './fnmatch.js';

/** The rules of one driver in one group; every rule present must match for the driver to be chosen. */
export interface RoutingRules {
  /** Shell-style patterns (`fnmatch`) on the event type, e.g. `compute.instance.*`; one must match. */
  readonly accepted_events?: readonly string[] | undefined;
  /** Shell-style patterns on the lower-case priority, e.g. `info`, `warn`, `e*`; one must match. */
  readonly accepted_priorities?: readonly string[] | undefined;
}

/** oslo's routing file: group name → driver name → rules. A driver is used when any group selects it. */
export type RoutingConfig = Readonly<Record<string, Readonly<Record<string, RoutingRules>>>>;

/** Rules as they may be given in code: oslo's keys or camelCase ones. */
export interface RoutingRulesInput extends RoutingRules {
  readonly acceptedEvents?: readonly string[] | undefined;
  readonly acceptedPriorities?: readonly string[] | undefined;
}

/** A routing configuration as given in code. */
export type RoutingConfigInput = Readonly<Record<string, Readonly<Record<string, RoutingRulesInput | null>> | null>>;

/** A checked configuration and what was ignored in it. */
export interface NormalizedRoutingConfig {
  readonly config: RoutingConfig;
  /** Things ignored, worth a warning (unknown rule keys, routes to `routing` itself). */
  readonly warnings: readonly string[];
}

const RULE_KEYS: Readonly<Record<string, keyof RoutingRules>> = {
  accepted_events: 'accepted_events',
  acceptedEvents: 'accepted_events',
  accepted_priorities: 'accepted_priorities',
  acceptedPriorities: 'accepted_priorities',
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function patternsOf(value: unknown, where: string, fail: (m: string) => never): string[] {
  // A single string is taken as one pattern (oslo would iterate its characters).
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) fail(`${where} must be a list of patterns, got ${describe(value)}`);
  return list.map((p, i) => {
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean')
      fail(`${where}[${i}] must be a pattern string, got ${describe(p)}`);
    const pattern = String(p);
    try {
      fnmatchToRegExp(pattern);
    } catch (err) {
      fail(`${where}[${i}] ${JSON.stringify(pattern)} is not a valid pattern: ${(err as Error).message}`);
    }
    return pattern;
  });
}

/**
 * Checks a routing configuration (parsed YAML or given in code) and brings it to oslo's shape.
 * Throws `ConfigurationError` naming the group, driver and rule at fault. `null`/empty means no routes.
 */
export function normalizeRoutingConfig(raw: unknown, source = 'routing config'): NormalizedRoutingConfig {
  const fail = (message: string): never => {
    throw new ConfigurationError(`Invalid ${source}: ${message}`);
  };
  const warnings: string[] = [];
  if (raw === null || raw === undefined) return { config: {}, warnings };
  if (!isMapping(raw)) return fail(`the top level must be a mapping of group names to drivers, got ${describe(raw)}`);
  const config: Record<string, Record<string, RoutingRules>> = {};
  for (const [group, drivers] of Object.entries(raw)) {
    if (drivers === null) continue;
    if (!isMapping(drivers))
      fail(`group '${group}' must be a mapping of driver names to rules, got ${describe(drivers)}`);
    const routes: Record<string, RoutingRules> = {};
    for (const [driver, rules] of Object.entries(drivers as Record<string, unknown>)) {
      if (driver === 'routing') {
        warnings.push(`${source}: group '${group}' routes to the routing driver itself; ignored (as oslo does)`);
        continue;
      }
      if (rules !== null && !isMapping(rules))
        fail(
          `group '${group}', driver '${driver}': rules must be a mapping (accepted_events, accepted_priorities), got ${describe(rules)}`,
        );
      const out: { -readonly [K in keyof RoutingRules]: RoutingRules[K] } = {};
      for (const [key, value] of Object.entries((rules ?? {}) as Record<string, unknown>)) {
        const known = RULE_KEYS[key];
        if (!known) {
          warnings.push(
            `${source}: group '${group}', driver '${driver}': unknown rule '${key}' ignored (known: accepted_events, accepted_priorities)`,
          );
          continue;
        }
        const patterns = patternsOf(value, `group '${group}', driver '${driver}': ${known}`, fail);
        out[known] = known === 'accepted_priorities' ? patterns.map((p) => p.toLowerCase()) : patterns;
      }
      routes[driver] = out;
    }
    config[group] = routes;
  }
  return { config, warnings };
}

/** Parses oslo's routing YAML. Throws `ConfigurationError` with the YAML error's position, or what is wrong with the structure. */
export function parseRoutingConfig(text: string, source = 'routing config'): NormalizedRoutingConfig {
  let raw: unknown;
  try {
    // PyYAML reads YAML 1.1; so do we.
    raw = parseYaml(text, { version: '1.1' }) as unknown;
  } catch (err) {
    throw new ConfigurationError(`Invalid ${source}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return normalizeRoutingConfig(raw, source);
}

/** Reads and parses a routing YAML file (oslo's `routing_config`). */
export async function loadRoutingConfigFile(path: string): Promise<NormalizedRoutingConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigurationError(
      `Cannot read the notification routing_config file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseRoutingConfig(text, `routing_config ${path}`);
}

/**
 * The drivers a notification goes to: in each group, a driver whose present rules all match
 * (`accepted_events` on the event type, `accepted_priorities` on the lower-case priority); the
 * union over groups, in order of first mention. A driver with no rules takes everything.
 */
export function selectDrivers(config: RoutingConfig, eventType: string, priority: string): string[] {
  const level = priority.toLowerCase();
  const chosen = new Set<string>();
  for (const routes of Object.values(config)) {
    for (const [driver, rules] of Object.entries(routes)) {
      if (chosen.has(driver)) continue;
      const events = rules.accepted_events;
      const priorities = rules.accepted_priorities;
      if (events && !events.some((p) => fnmatch(eventType, p))) continue;
      if (priorities && !priorities.some((p) => fnmatch(level, p))) continue;
      chosen.add(driver);
    }
  }
  return [...chosen];
}
