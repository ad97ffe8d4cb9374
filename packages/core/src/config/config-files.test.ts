import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { loadConfigFiles, parseOsloConfig } from './config-files.js';

const NOVA = `[DEFAULT]
# the bus
transport_url = rabbit://nova:s3cret@rabbit1:5672,nova:s3cret@rabbit2:5672/nova
control_exchange = nova
rpc_response_timeout = 120
; repeated keys are a MultiStr
[oslo_messaging_notifications]
driver = messagingv2
driver = log
topics = notifications,audit
[oslo_messaging_rabbit]
rabbit_qos_prefetch_count: 50
ssl = "false"
[placement]
description = first line
  second line
`;

describe('oslo.config files', () => {
  it('parse sections, comments, both separators, quotes, MultiStr and continuation lines', () => {
    const c = parseOsloConfig(NOVA);
    expect(c['DEFAULT']).toEqual({
      transport_url: 'rabbit://nova:s3cret@rabbit1:5672,nova:s3cret@rabbit2:5672/nova',
      control_exchange: 'nova',
      rpc_response_timeout: '120',
    });
    expect(c['oslo_messaging_notifications']).toEqual({
      driver: ['messagingv2', 'log'],
      topics: 'notifications,audit',
    });
    expect(c['oslo_messaging_rabbit']).toEqual({ rabbit_qos_prefetch_count: '50', ssl: 'false' });
    expect(c['placement']!['description']).toBe('first line\nsecond line');
  });

  it('merge several files, later ones winning key by key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oslo-conf-'));
    writeFileSync(join(dir, 'a.conf'), NOVA);
    writeFileSync(join(dir, 'b.conf'), '[DEFAULT]\ncontrol_exchange = override\n');
    const c = loadConfigFiles([join(dir, 'a.conf'), join(dir, 'b.conf')]);
    expect(c['DEFAULT']!['control_exchange']).toBe('override');
    expect(c['DEFAULT']!['rpc_response_timeout']).toBe('120');
  });

  it('say where a file is broken, with a typed error', () => {
    expect(() => parseOsloConfig('[DEFAULT]\nthis line has no separator\n', 'x.conf')).toThrow(
      /x\.conf:2: cannot parse/,
    );
    expect(() => parseOsloConfig('key = before section\n', 'y.conf')).toThrow(ConfigurationError);
    expect(() => loadConfigFiles(['/nonexistent/nova.conf'])).toThrow(/Cannot read config file/);
  });
});
