// A service stopped while its connection to the broker dies: the consumers' cancels are sent on a
// connection that stops answering (a proxy in front of the real RabbitMQ stops forwarding) and is then
// cut, so they fail. The service runs in a child process with Node's defaults: the shutdown must
// finish, with no crash and no unhandled rejection.
import { assertHealthy, runScenario } from '@oslo-messaging/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_RECONNECT, SCENARIO, sleep, uniq } from './__fixtures__/faults.js';
import { FreezingProxy } from './__fixtures__/freezing-proxy.js';

let proxy: FreezingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

describe('a server and a notification listener stopped while their connections die (child process, Node defaults)', () => {
  it("stop, wait and cleanup finish although the consumers' cancels fail", async () => {
    proxy = new FreezingProxy();
    const port = await proxy.listen();
    const run = runScenario(SCENARIO, {
      env: {
        SCENARIO: JSON.stringify({
          url: `rabbit://guest:guest@127.0.0.1:${port}/`,
          topic: uniq('outage'),
          callTimeout: 2,
          driverOptions: FAST_RECONNECT,
          verbose: true,
        }),
      },
      killAfterMs: 60_000,
    });
    run.send('server');
    await run.waitFor((r) => r.event === 'settled' && r['op'] === 'server-start', 30_000);
    run.send('call');
    const call = await run.waitFor((r) => r.event === 'settled' && r['op'] === 'call', 30_000);
    expect(call['ok']).toBe(true);
    // The cancels go out and nothing comes back; then the connections drop under them.
    proxy.frozen = true;
    run.send('shutdown');
    await run.waitFor((r) => r.event === 'shutting-down', 10_000);
    await sleep(300);
    proxy.cut();
    proxy.frozen = false;
    const cleaned = await run.waitFor((r) => r.event === 'cleaned-up', 30_000);
    const result = await run.done;
    assertHealthy(result);
    expect(result.code).toBe(0);
    // Each step is bounded by the shutdown limit (5 s) at most; a failed cancel does not wait for it.
    expect(cleaned['ms']).toBeLessThan(15_000);
  });
});
