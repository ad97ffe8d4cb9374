import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@oslo-messaging/core';
import { loadRoutingConfigFile, normalizeRoutingConfig, parseRoutingConfig, selectDrivers } from './routing-config.js';

const OSLO_EXAMPLE = `
group_1:
  messaging: {accepted_priorities: ['info', 'warn', 'error']}
  log:       {accepted_events: ['compute.instance.exists']}
group_2:
  messaging: {accepted_events: ['compute.scheduler.run_instance.*']}
  test: {accepted_events: ['compute.*'], accepted_priorities: ['ERR*', 'critical']}
  noop: {}
`;

describe('selectDrivers', () => {
  const { config, warnings } = parseRoutingConfig(OSLO_EXAMPLE);

  // Expected sets are what Python oslo.messaging's RoutingDriver._get_drivers_for_message gives, united over groups.
  it.each([
    ['compute.instance.exists', 'debug', ['log', 'noop']],
    ['compute.instance.exists', 'info', ['log', 'messaging', 'noop']],
    ['compute.scheduler.run_instance.start', 'debug', ['messaging', 'noop']],
    ['compute.foo', 'error', ['messaging', 'noop', 'test']],
    ['compute.foo', 'critical', ['noop', 'test']],
    ['image.update', 'sample', ['noop']],
    ['compute.instance.exists', 'error', ['log', 'messaging', 'noop', 'test']],
  ])('%s at %s -> %j', (eventType, priority, expected) => {
    expect(selectDrivers(config, eventType, priority).sort()).toEqual(expected);
  });

  it('matches priorities case-insensitively (patterns and priority lower-cased) and keeps first-mention order', () => {
    expect(selectDrivers(config, 'compute.instance.exists', 'ERROR')).toEqual(['messaging', 'log', 'test', 'noop']);
    expect(warnings).toEqual([]);
  });

  it('a present but empty rule list matches nothing; a driver without rules takes everything', () => {
    const routes = normalizeRoutingConfig({ g: { never: { accepted_events: [] }, always: null } }).config;
    expect(selectDrivers(routes, 'x', 'info')).toEqual(['always']);
  });

  it('event patterns are case-sensitive, as fnmatchcase', () => {
    const routes = parseRoutingConfig('g: {log: {accepted_events: [Compute.*]}}').config;
    expect(selectDrivers(routes, 'compute.x', 'info')).toEqual([]);
    expect(selectDrivers(routes, 'Compute.x', 'info')).toEqual(['log']);
  });
});

describe('parseRoutingConfig / normalizeRoutingConfig', () => {
  it("reads oslo's format into oslo's shape, priority patterns lower-cased", () => {
    expect(parseRoutingConfig(OSLO_EXAMPLE).config).toEqual({
      group_1: {
        messaging: { accepted_priorities: ['info', 'warn', 'error'] },
        log: { accepted_events: ['compute.instance.exists'] },
      },
      group_2: {
        messaging: { accepted_events: ['compute.scheduler.run_instance.*'] },
        test: { accepted_events: ['compute.*'], accepted_priorities: ['err*', 'critical'] },
        noop: {},
      },
    });
  });

  it('takes an empty document, a null group and camelCase keys in code; a lone string is one pattern', () => {
    expect(parseRoutingConfig('').config).toEqual({});
    expect(parseRoutingConfig('# only a comment\n').config).toEqual({});
    expect(
      normalizeRoutingConfig({
        g: null,
        h: { log: { acceptedEvents: ['a.*'], acceptedPriorities: 'INFO' as unknown as string[] } },
      }).config,
    ).toEqual({
      h: { log: { accepted_events: ['a.*'], accepted_priorities: ['info'] } },
    });
  });

  it('ignores routes to routing itself and unknown rule keys, with warnings', () => {
    const { config, warnings } = parseRoutingConfig('g:\n  routing: {}\n  log: {accepted_event: [x]}\n');
    expect(config).toEqual({ g: { log: {} } });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/routes to the routing driver itself/);
    expect(warnings[1]).toMatch(/group 'g', driver 'log': unknown rule 'accepted_event' ignored/);
  });

  it.each([
    ['g: [unclosed', /Invalid routing config: not valid YAML: .*line 1/s],
    ['g:\n  log: {a: 1}\n  log: {b: 2}\n', /not valid YAML: .*[Uu]nique/s],
    ['- a\n- b\n', /the top level must be a mapping of group names to drivers, got a list/],
    ['just text', /the top level must be a mapping .* got string "just text"/],
    ['g: [log]', /group 'g' must be a mapping of driver names to rules, got a list/],
    ['g: {log: [x]}', /group 'g', driver 'log': rules must be a mapping/],
    [
      'g: {log: {accepted_events: 3}}',
      /group 'g', driver 'log': accepted_events must be a list of patterns, got number 3/,
    ],
    ['g: {log: {accepted_priorities: [{a: 1}]}}', /accepted_priorities\[0\] must be a pattern string, got a mapping/],
    ['g: {log: {accepted_events: ["[z-a]"]}}', /accepted_events\[0\] "\[z-a\]" is not a valid pattern/],
  ])('rejects %j with a ConfigurationError saying what is wrong', (text, message) => {
    let caught: unknown;
    try {
      parseRoutingConfig(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('loadRoutingConfigFile', () => {
  it('reads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'routing-'));
    try {
      const good = join(dir, 'good.yaml');
      await writeFile(good, OSLO_EXAMPLE);
      expect(Object.keys((await loadRoutingConfigFile(good)).config)).toEqual(['group_1', 'group_2']);
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'group_1:\n  log: {accepted_events: [x\n');
      await expect(loadRoutingConfigFile(bad)).rejects.toThrow(
        new RegExp(`Invalid routing_config ${bad.replace(/[/.]/g, '\\$&')}: not valid YAML`),
      );
      await expect(loadRoutingConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(
        /Cannot read the notification routing_config file .*missing\.yaml: ENOENT/,
      );
      await expect(loadRoutingConfigFile(join(dir, 'missing.yaml'))).rejects.toBeInstanceOf(ConfigurationError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
