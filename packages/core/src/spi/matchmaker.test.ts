import { describe, expect, it } from 'vitest';
import { Target } from '../target.js';
import { matchmakerKeys } from './matchmaker.js';

describe('matchmakerKeys (oslo key schema)', () => {
  it('keys a topic, and a server under its topic with the name cut at its first @', () => {
    expect(matchmakerKeys(new Target({ topic: 'compute' }), 'rpc')).toEqual({
      topic: 'rpc/compute',
      server: undefined,
    });
    expect(matchmakerKeys(new Target({ topic: 'compute', server: 'host1@cell2' }), 'rpc')).toEqual({
      topic: 'rpc/compute',
      server: 'rpc/compute/host1',
    });
  });
});
