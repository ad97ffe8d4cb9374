import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueueManager } from './queue-manager.js';

describe('QueueManager (use_queue_manager)', () => {
  it('hands out <hostname>:<processname>:<n>, counting across instances of one run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-'));
    const a = new QueueManager('node1', 'nova-api', dir);
    expect(a.get()).toBe('node1:nova-api:1');
    expect(a.get()).toBe('node1:nova-api:2');
    // Another transport (or a forked worker) of the same run continues the count.
    expect(new QueueManager('node1', 'nova-api', dir).get()).toBe('node1:nova-api:3');
    // The file has upstream's format: <process group>:<counter>:<start time>.
    expect(readFileSync(join(dir, 'node1_nova-api_qmanager'), 'utf8')).toMatch(/^\d+:3:\d+$/);
    // Another process name counts on its own.
    expect(new QueueManager('node1', 'nova-conductor', dir).get()).toBe('node1:nova-conductor:1');
  });

  it('starts over at 1 after a restart (another process group or start time), so the names of the last run come back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-'));
    writeFileSync(join(dir, 'h_p_qmanager'), '1:41:12345');
    const qm = new QueueManager('h', 'p', dir);
    expect(qm.get()).toBe('h:p:1');
    expect(qm.get()).toBe('h:p:2');
  });
});
