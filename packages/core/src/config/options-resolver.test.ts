import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { defineOptions } from '../spi/options.js';
import { camelCase, convertOption, knownOptionNames, resolveOptions } from './options-resolver.js';

const schema = defineOptions({
  rabbit_qos_prefetch_count: { type: 'int', default: 0, min: 0, help: 'prefetch' },
  heartbeat_timeout_threshold: { type: 'int', default: 60, help: 'heartbeat' },
  kombu_failover_strategy: {
    type: 'string',
    default: 'round-robin',
    choices: ['round-robin', 'shuffle'],
    help: 'failover',
  },
  ssl: { type: 'bool', default: false, help: 'tls' },
  rabbit_retry_backoff: { type: 'float', default: 2, help: 'backoff' },
  hosts: { type: 'list', default: [], help: 'hosts' },
  headers: { type: 'dict', default: {}, help: 'headers' },
  ssl_ca_file: { type: 'string', default: null, deprecatedNames: ['kombu_ssl_ca_certs'], help: 'ca' },
});
const G = 'oslo_messaging_rabbit';

describe('resolveOptions precedence: defaults < config < code < URL query', () => {
  it('uses the defaults when nothing is given', () => {
    const o = resolveOptions(G, schema, {});
    expect(o).toEqual({
      rabbit_qos_prefetch_count: 0,
      heartbeat_timeout_threshold: 60,
      kombu_failover_strategy: 'round-robin',
      ssl: false,
      rabbit_retry_backoff: 2,
      hosts: [],
      headers: {},
      ssl_ca_file: null,
    });
  });

  it('config file beats defaults, code beats config, query beats code', () => {
    const config = { [G]: { rabbit_qos_prefetch_count: '5', heartbeat_timeout_threshold: '30', ssl: 'true' } };
    const code = { rabbit_qos_prefetch_count: 7, heartbeatTimeoutThreshold: 20 };
    const query = { rabbit_qos_prefetch_count: '10' };
    expect(resolveOptions(G, schema, { config }).rabbit_qos_prefetch_count).toBe(5);
    const all = resolveOptions(G, schema, { config, code, query });
    expect(all.rabbit_qos_prefetch_count).toBe(10);
    expect(all.heartbeat_timeout_threshold).toBe(20);
    expect(all.ssl).toBe(true);
    expect(resolveOptions(G, schema, { config, code }).rabbit_qos_prefetch_count).toBe(7);
  });

  it('reads only its own config section', () => {
    const config = { DEFAULT: { rabbit_qos_prefetch_count: '99' }, other: { ssl: 'true' } };
    const o = resolveOptions(G, schema, { config });
    expect(o.rabbit_qos_prefetch_count).toBe(0);
    expect(o.ssl).toBe(false);
  });

  it('accepts deprecated names, the current name winning within one source', () => {
    expect(resolveOptions(G, schema, { config: { [G]: { kombu_ssl_ca_certs: '/old.pem' } } }).ssl_ca_file).toBe(
      '/old.pem',
    );
    expect(resolveOptions(G, schema, { code: { kombuSslCaCerts: '/old.pem' } }).ssl_ca_file).toBe('/old.pem');
    expect(
      resolveOptions(G, schema, { query: { kombu_ssl_ca_certs: '/q.pem' }, code: { ssl_ca_file: '/c.pem' } })
        .ssl_ca_file,
    ).toBe('/q.pem');
    expect(
      resolveOptions(G, schema, { config: { [G]: { ssl_ca_file: '/new.pem', kombu_ssl_ca_certs: '/old.pem' } } })
        .ssl_ca_file,
    ).toBe('/new.pem');
    expect(
      resolveOptions(G, schema, { code: { kombu_ssl_ca_certs: '/old.pem', sslCaFile: '/new.pem' } }).ssl_ca_file,
    ).toBe('/new.pem');
  });

  it('accepts snake_case and camelCase in code', () => {
    expect(resolveOptions(G, schema, { code: { rabbitQosPrefetchCount: 3 } }).rabbit_qos_prefetch_count).toBe(3);
    expect(resolveOptions(G, schema, { code: { rabbit_qos_prefetch_count: 4 } }).rabbit_qos_prefetch_count).toBe(4);
  });

  it('ignores undefined values in code', () => {
    expect(resolveOptions(G, schema, { config: { [G]: { ssl: 'yes' } }, code: { ssl: undefined } }).ssl).toBe(true);
  });

  it('reports a bad value with group, option and where it came from', () => {
    expect(() => resolveOptions(G, schema, { query: { rabbit_qos_prefetch_count: 'ten' } })).toThrow(
      ConfigurationError,
    );
    expect(() => resolveOptions(G, schema, { query: { rabbit_qos_prefetch_count: 'ten' } })).toThrow(
      'Option oslo_messaging_rabbit.rabbit_qos_prefetch_count (from the transport URL): expected a number, got "ten"',
    );
    expect(() => resolveOptions(G, schema, { config: { [G]: { ssl: 'maybe' } } })).toThrow(
      '(from [oslo_messaging_rabbit] ssl in the config): expected true or false, got "maybe"',
    );
    expect(() => resolveOptions(G, schema, { code: { kombuFailoverStrategy: 'random' } })).toThrow(
      '(from code): "random" is not one of round-robin, shuffle',
    );
  });
});

describe('convertOption', () => {
  const conv = (type: 'string' | 'int' | 'float' | 'bool' | 'list' | 'dict', raw: unknown, extra: object = {}) =>
    convertOption('g', 'o', { type, default: null, help: '', ...extra }, raw, 'test');

  it('converts ints and floats, with limits', () => {
    expect(conv('int', '42')).toBe(42);
    expect(conv('int', 42)).toBe(42);
    expect(conv('float', '0.5')).toBe(0.5);
    expect(() => conv('int', '1.5')).toThrow('expected an integer, got "1.5"');
    expect(() => conv('int', '')).toThrow('expected a number');
    expect(() => conv('float', 'NaN')).toThrow('expected a number');
    expect(() => conv('int', '-1', { min: 0 })).toThrow('-1 is below the minimum 0');
    expect(() => conv('int', '11', { max: 10 })).toThrow('11 is above the maximum 10');
  });

  it('converts booleans like oslo.config', () => {
    for (const t of ['true', 'True', '1', 'yes', 'on', 't', 'y', ' TRUE ']) expect(conv('bool', t)).toBe(true);
    for (const f of ['false', 'False', '0', 'no', 'off', 'f', 'n']) expect(conv('bool', f)).toBe(false);
    expect(conv('bool', false)).toBe(false);
    expect(() => conv('bool', 1)).toThrow(ConfigurationError);
  });

  it('converts lists from comma-separated strings (repeated URL keys are joined with commas)', () => {
    expect(conv('list', 'a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(conv('list', ['x', 1])).toEqual(['x', '1']);
    expect(conv('list', '')).toEqual([]);
    expect(() => conv('list', 5)).toThrow('expected a list');
  });

  it('converts dicts from k:v items', () => {
    expect(conv('dict', 'a:1, b:x:y')).toEqual({ a: '1', b: 'x:y' });
    expect(conv('dict', { k: 'v' })).toEqual({ k: 'v' });
    expect(() => conv('dict', 'a:1,b')).toThrow('dict item "b" is not key:value');
    expect(() => conv('dict', ['a:1'])).toThrow('expected key:value pairs');
  });

  it('converts strings', () => {
    expect(conv('string', 5)).toBe('5');
    expect(conv('string', true)).toBe('true');
    expect(() => conv('string', {})).toThrow('expected a string');
  });
});

describe('names', () => {
  it('camelCase', () => {
    expect(camelCase('rabbit_qos_prefetch_count')).toBe('rabbitQosPrefetchCount');
    expect(camelCase('ssl')).toBe('ssl');
    expect(camelCase('amqp_1_0')).toBe('amqp10');
  });

  it('knownOptionNames lists names, deprecated names and camelCase forms', () => {
    const names = knownOptionNames(schema);
    for (const n of ['ssl_ca_file', 'sslCaFile', 'kombu_ssl_ca_certs', 'kombuSslCaCerts', 'rabbit_qos_prefetch_count'])
      expect(names.has(n)).toBe(true);
    expect(names.has('unknown')).toBe(false);
  });
});
