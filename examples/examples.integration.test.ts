// Smoke tests: every example runs as a user would run it (its one command) and prints what its README says,
// so the examples never rot. `npm test` builds first, so the TypeScript examples' dist/ is there.
// Needs what the examples need: RabbitMQ, Redis, NATS with JetStream, and python3 with oslo.messaging.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNats } from './driver-nats/test/ensure-nats.js';

const dir = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Runs `node <script>` in the example's folder; resolves with its output once it exits 0. */
function run(example: string, script: string, env: Record<string, string> = {}, seconds = 90): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script], {
      cwd: dir(`./${example}/`),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), seconds * 1000);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${example}/${script} exited with ${code ?? signal}\n--- stdout\n${out}\n--- stderr\n${err.slice(-4000)}`,
          ),
        );
    });
  });
}

const lines = (out: string) => out.trim().split('\n');
/** Each example gets this long (it starts processes, Python ones included, on a busy machine). */
const TIMEOUT = 120_000;

describe('examples', () => {
  it(
    'typed-contract: a proxy<API>() client and a TypedEndpoint server share one interface',
    async () => {
      const out = await run('typed-contract', 'dist/main.js');
      expect(lines(out)).toEqual([
        'add bolt -> 40',
        'add nut -> 25',
        'add bolt -> 42',
        'get nut -> 25',
        'list -> [{"sku":"bolt","count":42},{"sku":"nut","count":25}]',
        'list limit 5 -> [{"sku":"bolt","count":42}]',
        'done',
      ]);
    },
    TIMEOUT,
  );

  it(
    'nova-service: Python calls the versioned TypeScript service, TypeScript calls the Python conductor',
    async () => {
      const out = await run('nova-service', 'dist/main.js');
      expect(out).toContain("[python] get_console_output 5.0 -> 'i-1 ready'");
      expect(out).toContain("[python] get_console_output 6.0 -> ts-compute-1 ['Welcome to i-1', 'i-1 ready']");
      expect(out).toContain('[python] get_host_uptime 6.2 -> ts-compute-1 up 42 days');
      expect(out).toContain('[ts server ts-compute-1] v6 reboot_instance i-1 (SOFT) for user bob');
      expect(out).toContain('[python] get_host_uptime 7.0 -> UnsupportedVersion');
      expect(out).toContain('[python] get_host_uptime 6.3 -> UnsupportedVersion');
      expect(out).toContain('[python] get_host_uptime compute_task 6.0 -> UnsupportedVersion');
      expect(out).toContain('[python] sync_power_states 6.0 -> NoSuchMethod');
      expect(out).toContain("[python] baseapi ping -> {'service': 'compute', 'arg': 'hello'}");
      expect(out).toContain("[python] schedule_and_build_instances for ['i-1', 'i-2'] by alice");
      expect(out).toContain('[ts] schedule_and_build_instances -> {"i-1":"py-compute-1","i-2":"py-compute-2"}');
      expect(out).toContain('[ts] migrate_server -> ValueError: flavor m1.nano is too small for i-1');
      expect(out).toContain('[ts] rebuild_instance -> RemoteError NoValidHost: No valid host was found for i-9');
      expect(out).toContain('[ts] canSendVersion 1.18 with versionCap 1.17 -> false');
      expect(lines(out).at(-1)).toBe('[ts] done');
    },
    TIMEOUT,
  );

  it(
    'notification-collector: a filtered listener pool and a batch listener, fed by Python',
    async () => {
      const topic = `notifications_example_${randomUUID().slice(0, 8)}`;
      const out = await run('notification-collector', 'collector.mjs', { NOTIFICATION_TOPIC: topic });
      expect(out).toContain('sent 9 notifications');
      expect(out).toMatch(/collector-[12]: ERROR compute\.instance\.create\.error from compute\.host1: No valid host/);
      expect(out).toContain('ceilometer: error compute.instance.create.error x1');
      expect(out).toContain('ceilometer: info compute.instance.create.end x6');
      expect(out).toContain('ceilometer: info compute.instance.delete.end x1');
      expect(out).not.toContain('image.upload x');
      expect(out).toMatch(
        /ceilometer: 8 notifications handled \(image\.upload filtered out\), shared by collector-1 \(\d\) and collector-2 \(\d\)/,
      );
      // 8 info notifications, in batches of at most 4
      const batches = /metering: 8 info notifications in \d+ batches \(([\d, ]+)\)/.exec(out);
      expect(batches).not.toBeNull();
      expect(batches![1]!.split(', ').every((n) => Number(n) >= 1 && Number(n) <= 4)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'brokerless: two server processes and a client over ZeroMQ with the Redis matchmaker',
    async () => {
      const out = await run('brokerless', 'main.mjs');
      expect(out).toMatch(/client: two server processes registered for compute-\d+/);
      expect(out).toContain('client: calls to the topic were served by host-a and host-b');
      expect(out).toContain('client: add on host-b -> 42');
      expect(out).toContain('client: whoami on host-a -> host-a');
      expect(out).toContain('host-a: refresh (fanout)');
      expect(out).toContain('host-b: refresh (fanout)');
      expect(lines(out).at(-1)).toBe('client: done');
    },
    TIMEOUT,
  );

  it(
    'tracing: one trace across a TypeScript client, a Python hop and a TypeScript server, three processes',
    async () => {
      const out = await run('tracing', 'main.mjs');
      const m = /python hop: checkout bolt x3, traceparent 00-([0-9a-f]{32})-[0-9a-f]{16}-01/.exec(out);
      expect(m).not.toBeNull();
      expect(out).toContain('client: order {"order":"o-1","reserved":{"sku":"bolt","count":3,"warehouse":"w-3"}}');
      const tree = out.slice(out.indexOf('trace '));
      expect(lines(tree)[0]).toBe(`trace ${m![1]}: 4 spans`);
      expect(lines(tree).slice(1)).toEqual([
        'place order [INTERNAL] (client)',
        expect.stringMatching(/^ {2}call shop-frontend-\d+ \[CLIENT\] \(client\)$/),
        expect.stringMatching(/^ {4}process shop-backend-\d+ \[SERVER\] \(server process, via the Python hop\)$/),
        '      reserve stock [INTERNAL] (server process)',
      ]);
      // the ConsoleSpanExporter's own output, in the client and in the server process
      expect(out).toContain("name: 'place order'");
      expect(out).toContain("name: 'reserve stock'");
    },
    TIMEOUT,
  );

  describe('driver-nats', () => {
    beforeAll(ensureNats, 60_000);

    it(
      "demo: the repository demo's scenarios on NATS, and stored casts and notifications across restarts",
      async () => {
        const out = await run('driver-nats', 'demo.mjs');
        expect(out).toContain('client       -> 1 served');
        expect(out).toContain('client       -> 2 served');
        expect(out).toContain('client       -> {"host":"compute-2","arg":"direct"}');
        expect(out).toContain('compute-1  refresh_cache (fanout)');
        expect(out).toContain('compute-2  refresh_cache (fanout)');
        expect(out).toMatch(/compute-[12] {2}refresh_cache \(topic\)/);
        expect(out).toContain('client       -> ValueError: flavor m1.tiny is too small');
        expect(out).toContain(
          'client       -> RemoteError UnsupportedVersion: Endpoint does not support RPC version 2.0. Attempted method: ping',
        );
        expect(out).toContain('compute-1  refresh_cache (sent while down)');
        expect(out).toMatch(/audit#3 +compute\.instance\.delete\.end from compute\.host1/);
        expect(lines(out).at(-1)).toBe('demo       done: 3 billing + 3 audit deliveries');
      },
      TIMEOUT,
    );
  });
});
