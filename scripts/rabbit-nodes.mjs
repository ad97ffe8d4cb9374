#!/usr/bin/env node
/**
 * Extra RabbitMQ nodes on this machine for tests that must not touch the shared broker
 * (rabbit@localhost on 127.0.0.1:5672, which every other test uses): a 3-node cluster for failover
 * tests, a standalone node whose TLS listener requires a client certificate, and a standalone node
 * for the soak run. Usable as a CLI and as a module (tests import it).
 *
 *   node scripts/rabbit-nodes.mjs cluster            # start (idempotently) the 3-node cluster, print its URL
 *   node scripts/rabbit-nodes.mjs tls                # the standalone node with a peer-certificate-only TLS listener
 *   node scripts/rabbit-nodes.mjs soak               # the standalone node for scripts/soak.mjs
 *   node scripts/rabbit-nodes.mjs status             # every extra node: running?, OS pid, ports
 *   node scripts/rabbit-nodes.mjs kill|pause|resume|restart|start|stop <node>   # e.g. oslo-c2 or oslo-c2@localhost
 *   node scripts/rabbit-nodes.mjs stop-all           # stop every extra node (never the main one)
 *   node scripts/rabbit-nodes.mjs wipe               # stop every extra node and delete its data (next start is fresh)
 *
 * | node                | AMQP                 | Erlang distribution | purpose |
 * |---------------------|----------------------|---------------------|---------|
 * | oslo-c1..3@localhost | 127.0.0.1:5701..5703 | 25701..25703        | cluster (`join_cluster`, `pause_minority`, `net_ticktime` 8 s) |
 * | oslo-tls@localhost  | 5711, TLS 5712       | 25711               | TLS with `verify_peer` + `fail_if_no_peer_cert = true` |
 * | oslo-soak@localhost | 5721                 | 25721               | soak run (restarted every minute) |
 *
 * How the nodes are run (Debian's rabbitmq-server 3.10, as root): through the package's own
 * wrapper (`/usr/sbin/rabbitmq-server -detached`, `/usr/sbin/rabbitmqctl`), which as root runs
 * everything as the `rabbitmq` user with HOME=/var/lib/rabbitmq. So every node and every CLI call
 * uses the same Erlang cookie (/var/lib/rabbitmq/.erlang.cookie, created by the first node ever
 * started) and the data files belong to `rabbitmq`. `su` keeps the environment, and these variables
 * make each node separate: RABBITMQ_NODENAME, RABBITMQ_NODE_PORT, RABBITMQ_DIST_PORT,
 * RABBITMQ_CONFIG_FILE, RABBITMQ_MNESIA_BASE / RABBITMQ_MNESIA_DIR, RABBITMQ_LOG_BASE,
 * RABBITMQ_PID_FILE, RABBITMQ_ENABLED_PLUGINS_FILE (an empty list: management and the other plugins
 * are off) and RABBITMQ_CONF_ENV_FILE (our own, so /etc/rabbitmq/rabbitmq-env.conf's NODENAME does not
 * apply). Everything of a node lives in /var/lib/oslo-test-rabbit/<name>/ (`OSLO_TEST_RABBIT_BASE`
 * overrides the base): rabbitmq.conf, enabled_plugins, rabbitmq-env.conf, mnesia/, log/<node>.log
 * (read it when a node misbehaves) and pid.
 * Listeners and distribution bind to 127.0.0.1 only. `net_ticktime` is 8 s on the nodes and on
 * the CLI calls made for them (a CLI with the default 60 s would be dropped by the node), so the
 * cluster declares a frozen (SIGSTOPped) node down within about 8-10 s. CLI calls for these nodes use
 * their own distribution port range (36700-36799) so they never compete with the main node's CLI.
 *
 * Starting is idempotent and waits properly: a node paused by an interrupted test is resumed, a
 * running node is left alone (restarted only when its configuration changed), nodes start in
 * parallel (`rabbitmq-server -detached`, then `rabbitmqctl await_startup`), and the cluster is
 * formed with `join_cluster` only where `cluster_status` shows it missing. If the cluster cannot be
 * formed from the existing data (e.g. one node's data was deleted), its data is wiped and it is
 * formed fresh. The OS pid of a node comes from its pid file, checked against /proc (a beam.smp whose
 * environment names the node), falling back to `rabbitmqctl eval 'os:getpid().'`.
 * Needs root (or the rabbitmq user); installs rabbitmq-server with apt-get when missing.
 */
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { pathToFileURL } from 'node:url';

const execFile = promisify(execFileCb);

export const BASE_DIR = process.env.OSLO_TEST_RABBIT_BASE ?? '/var/lib/oslo-test-rabbit';
/** The test CA and certificates (the same files scripts/services.mjs creates for the main node's 5671 listener). */
export const TLS_DIR = process.env.OSLO_TEST_TLS_DIR ?? '/var/lib/rabbitmq/oslo-test-tls';
/** Seconds without an answer after which Erlang declares a peer node down. */
export const NET_TICKTIME = 8;
const CTL_DIST_PORTS = [36700, 36799];

/** The three cluster nodes. */
export const CLUSTER_NODES = Object.freeze([
  { name: 'oslo-c1@localhost', port: 5701, distPort: 25701 },
  { name: 'oslo-c2@localhost', port: 5702, distPort: 25702 },
  { name: 'oslo-c3@localhost', port: 5703, distPort: 25703 },
]);
/** The standalone node whose TLS listener (tlsPort) requires a client certificate. */
export const TLS_NODE = Object.freeze({ name: 'oslo-tls@localhost', port: 5711, tlsPort: 5712, distPort: 25711 });
/** The standalone node the soak run restarts. */
export const SOAK_NODE = Object.freeze({ name: 'oslo-soak@localhost', port: 5721, distPort: 25721 });
export const ALL_NODES = Object.freeze([...CLUSTER_NODES, TLS_NODE, SOAK_NODE]);

let log = (m) => process.stderr.write(`[rabbit-nodes] ${m}\n`);
/** Replaces the progress logger (tests pass a quieter one). */
export function setLogger(fn) {
  log = fn;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const shortName = (name) => name.split('@')[0];

/** A node spec from a spec or a name (`oslo-c2` or `oslo-c2@localhost`). */
export function nodeSpec(node) {
  if (typeof node === 'object') return node;
  const full = node.includes('@') ? node : `${node}@localhost`;
  const spec = ALL_NODES.find((n) => n.name === full);
  if (!spec) throw new Error(`unknown node ${node}; known: ${ALL_NODES.map((n) => n.name).join(', ')}`);
  return spec;
}

export const nodeDir = (node) => `${BASE_DIR}/${shortName(nodeSpec(node).name)}`;
export const logFile = (node) => `${nodeDir(node)}/log/${nodeSpec(node).name}.log`;

/** `rabbit://guest:guest@127.0.0.1:P1,guest:guest@127.0.0.1:P2/` for these nodes. */
export function amqpUrl(nodes, query = '') {
  return `rabbit://${nodes.map((n) => `guest:guest@127.0.0.1:${nodeSpec(n).port}`).join(',')}/${query}`;
}

function env(spec) {
  const dir = nodeDir(spec);
  const short = shortName(spec.name);
  return {
    ...process.env,
    RABBITMQ_CONF_ENV_FILE: `${dir}/rabbitmq-env.conf`,
    RABBITMQ_NODENAME: spec.name,
    RABBITMQ_NODE_PORT: String(spec.port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(spec.distPort),
    RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq.conf`,
    RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
    RABBITMQ_MNESIA_DIR: `${dir}/mnesia/${short}`,
    RABBITMQ_LOG_BASE: `${dir}/log`,
    RABBITMQ_PID_FILE: `${dir}/pid`,
    RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/enabled_plugins`,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-kernel inet_dist_use_interface {127,0,0,1} -kernel net_ticktime ${NET_TICKTIME}`,
    RABBITMQ_CTL_ERL_ARGS: `-kernel net_ticktime ${NET_TICKTIME}`,
    RABBITMQ_CTL_DIST_PORT_MIN: String(CTL_DIST_PORTS[0]),
    RABBITMQ_CTL_DIST_PORT_MAX: String(CTL_DIST_PORTS[1]),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

/** Runs `rabbitmqctl -n <node> ...args`; resolves with stdout, rejects with stderr in the message. */
export async function ctl(node, args, { timeoutMs = 60_000 } = {}) {
  const spec = nodeSpec(node);
  try {
    const { stdout } = await execFile('rabbitmqctl', ['-n', spec.name, ...args], {
      env: env(spec),
      timeout: timeoutMs,
      maxBuffer: 16 << 20,
      cwd: '/',
    });
    return stdout;
  } catch (e) {
    const err = new Error(
      `rabbitmqctl -n ${spec.name} ${args.join(' ')} failed (${e.killed ? 'timed out' : `code ${e.code}`}): ${String(
        e.stderr || e.stdout || e.message,
      )
        .trim()
        .split('\n')
        .slice(0, 6)
        .join(' | ')}`,
    );
    err.code = e.code;
    throw err;
  }
}

function portOpen(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const COOKIE = '/var/lib/rabbitmq/.erlang.cookie';
/**
 * One Erlang cookie for every node and CLI call: the rabbitmq user's (created here when no node ever
 * ran, so nodes starting in parallel cannot each write their own), copied to root's home when root
 * has none, for CLI tools run as root without Debian's wrapper.
 */
async function ensureCookie() {
  if (!existsSync(COOKIE)) {
    const letters = Array.from({ length: 20 }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('');
    await writeFile(COOKIE, letters, { mode: 0o400, flag: 'wx' }).catch((e) => {
      if (e.code !== 'EEXIST') throw e;
    });
    await execFile('chown', ['rabbitmq:rabbitmq', COOKIE]);
  }
  const rootCookie = `${process.env.HOME ?? '/root'}/.erlang.cookie`;
  if (!existsSync(rootCookie)) {
    await writeFile(rootCookie, await readFile(COOKIE), { mode: 0o400, flag: 'wx' }).catch((e) => {
      if (e.code !== 'EEXIST') throw e;
    });
  } else if ((await readFile(rootCookie, 'utf8')).trim() !== (await readFile(COOKIE, 'utf8')).trim()) {
    log(
      `note: ${rootCookie} differs from ${COOKIE}; this script calls the CLI through Debian's wrapper (as rabbitmq), so it uses the latter`,
    );
  }
}

let prepared;
/** rabbitmq-server installed, and we may act as the rabbitmq user. */
function prepare() {
  prepared ??= (async () => {
    const uid = process.getuid?.();
    if (uid !== 0)
      throw new Error(
        "scripts/rabbit-nodes.mjs must run as root (it starts nodes as the rabbitmq user through Debian's wrapper)",
      );
    if (!existsSync('/usr/sbin/rabbitmq-server')) {
      log('rabbitmq-server is not installed: installing it with apt-get');
      await execFile(
        'bash',
        ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server'],
        { timeout: 600_000 },
      );
    }
    await ensureCookie();
    await mkdir(BASE_DIR, { recursive: true });
  })();
  prepared.catch(() => (prepared = undefined));
  return prepared;
}

/** The node's configuration (rabbitmq.conf). */
function configOf(spec, extra) {
  return [
    `listeners.tcp.1 = 127.0.0.1:${spec.port}`,
    'log.console = false',
    'log.file.level = info',
    'cluster_partition_handling = pause_minority',
    // A node that cannot find its cluster peers gives up after ~30 s instead of 5 minutes.
    'mnesia_table_loading_retry_limit = 3',
    'mnesia_table_loading_retry_timeout = 10000',
    ...(extra ?? []),
    '',
  ].join('\n');
}

/** Writes the node's files; true when its rabbitmq.conf changed. */
async function writeNodeFiles(spec, extraConfig) {
  const dir = nodeDir(spec);
  await mkdir(`${dir}/log`, { recursive: true });
  await mkdir(`${dir}/mnesia`, { recursive: true });
  const conf = configOf(spec, extraConfig);
  const old = await readFile(`${dir}/rabbitmq.conf`, 'utf8').catch(() => undefined);
  await writeFile(`${dir}/rabbitmq.conf`, conf);
  await writeFile(`${dir}/enabled_plugins`, '[].\n');
  await writeFile(
    `${dir}/rabbitmq-env.conf`,
    '# Only the RABBITMQ_* variables of scripts/rabbit-nodes.mjs apply to this node.\nERL_EPMD_ADDRESS=127.0.0.1\n',
  );
  await execFile('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  return old !== undefined && old !== conf;
}

async function beamState(pid) {
  try {
    const [environ, stat] = await Promise.all([
      readFile(`/proc/${pid}/environ`, 'latin1'),
      readFile(`/proc/${pid}/stat`, 'latin1'),
    ]);
    return {
      environ,
      state: stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3),
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    };
  } catch {
    return undefined;
  }
}

/**
 * The OS pid of the node's beam.smp, or undefined when it is not running. From the pid file,
 * checked against /proc (a beam.smp whose environment names this node); else from the node itself.
 */
export async function nodePid(node) {
  const spec = nodeSpec(node);
  const fromFile = Number((await readFile(`${nodeDir(spec)}/pid`, 'utf8').catch(() => '')).trim());
  if (fromFile > 0) {
    const s = await beamState(fromFile);
    if (s && s.comm === 'beam.smp' && s.environ.split('\0').includes(`RABBITMQ_NODENAME=${spec.name}`)) return fromFile;
  }
  try {
    const out = await ctl(spec, ['eval', 'os:getpid().'], { timeoutMs: 15_000 });
    const pid = Number(out.trim().replace(/"/g, ''));
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the node's beam is stopped (SIGSTOP). */
export async function isPaused(node) {
  const pid = await nodePid(node);
  return pid !== undefined && (await beamState(pid))?.state === 'T';
}

/** SIGKILLs the node's beam (as a crash or power loss would); resolves once it is gone. */
export async function killNode(node) {
  const spec = nodeSpec(node);
  const pid = await nodePid(spec);
  if (pid === undefined) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    const s = await beamState(pid);
    if (s === undefined || s.state === 'Z') break;
    await sleep(50);
  }
  log(`killed ${spec.name} (pid ${pid})`);
}

/** SIGSTOPs the node's beam: it keeps its sockets open but answers nothing. */
export async function pauseNode(node) {
  const spec = nodeSpec(node);
  const pid = await nodePid(spec);
  if (pid === undefined) throw new Error(`${spec.name} is not running`);
  process.kill(pid, 'SIGSTOP');
  log(`paused ${spec.name} (pid ${pid})`);
  return pid;
}

/** SIGCONTs the node's beam (harmless when it is not paused). */
export async function resumeNode(node) {
  const spec = nodeSpec(node);
  const pid = await nodePid(spec);
  if (pid === undefined) return;
  process.kill(pid, 'SIGCONT');
  log(`resumed ${spec.name} (pid ${pid})`);
}

/** Whether the node answers and its rabbit application runs. */
export async function isRunning(node) {
  try {
    return (await ctl(node, ['eval', 'rabbit:is_running().'], { timeoutMs: 15_000 })).trim() === 'true';
  } catch {
    return false;
  }
}

async function tail(file, lines = 30) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** Waits until the node is up and its rabbit application has started. */
async function awaitStartup(spec, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await ctl(spec, ['await_startup', '--timeout', String(Math.max(5, Math.round((deadline - Date.now()) / 1000)))], {
        timeoutMs: deadline - Date.now() + 10_000,
      });
      if (await portOpen(spec.port)) return;
      last = `port ${spec.port} is not open`;
    } catch (e) {
      last = e.message; // not registered with epmd yet, or still booting
    }
    await sleep(500);
  }
  throw new Error(
    `${spec.name} did not start within ${timeoutMs / 1000} s: ${last}\n--- ${logFile(spec)} (tail) ---\n${await tail(logFile(spec))}`,
  );
}

/**
 * Starts the node unless it already runs (idempotent). `extraConfig`: rabbitmq.conf lines added to
 * the defaults; a running node whose configuration changed is restarted.
 */
export async function startNode(node, { extraConfig, timeoutMs = 120_000 } = {}) {
  await prepare();
  const spec = nodeSpec(node);
  const changed = await writeNodeFiles(spec, extraConfig);
  const pid = await nodePid(spec);
  if (pid !== undefined) {
    process.kill(pid, 'SIGCONT'); // left paused by an interrupted test
    if (!changed && (await isRunning(spec))) return;
    if (!changed) {
      // The beam is up: booting, or its app was stopped.
      try {
        await awaitStartup(spec, 20_000);
        return;
      } catch {
        await ctl(spec, ['start_app'], { timeoutMs: 60_000 }).catch(() => undefined);
        if (await isRunning(spec)) return;
      }
    }
    log(`${spec.name}: ${changed ? 'configuration changed' : 'not answering'}, restarting it`);
    await stopNode(spec);
  }
  if (await portOpen(spec.port)) throw new Error(`port ${spec.port} for ${spec.name} is taken by another process`);
  log(`starting ${spec.name} on 127.0.0.1:${spec.port}${spec.tlsPort ? ` (TLS ${spec.tlsPort})` : ''}`);
  await rm(`${nodeDir(spec)}/pid`, { force: true });
  await execFile('rabbitmq-server', ['-detached'], { env: env(spec), timeout: 60_000, cwd: '/' });
  await awaitStartup(spec, timeoutMs);
}

/** Stops the node: gracefully when it answers, else SIGKILL. */
export async function stopNode(node) {
  const spec = nodeSpec(node);
  const pid = await nodePid(spec);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    return;
  }
  try {
    await ctl(spec, ['stop'], { timeoutMs: 60_000 });
  } catch {
    // not answering
  }
  for (let i = 0; i < 100 && (await beamState(pid)) !== undefined; i++) await sleep(100);
  if ((await beamState(pid)) !== undefined) await killNode(spec);
}

/** Restarts the node (graceful stop when possible) and waits until it is up again. */
export async function restartNode(node, options = {}) {
  await stopNode(node);
  await startNode(node, options);
}

/** `cluster_status` of a node as JSON. */
export async function clusterStatus(node) {
  return JSON.parse(await ctl(node, ['cluster_status', '--formatter', 'json'], { timeoutMs: 30_000 }));
}

async function clusterProblems(nodes) {
  const problems = [];
  const names = nodes.map((n) => n.name).sort();
  for (const n of nodes) {
    try {
      const s = await clusterStatus(n);
      const running = [...(s.running_nodes ?? [])].sort();
      if (JSON.stringify(running) !== JSON.stringify(names))
        problems.push({ node: n, why: `running_nodes ${running.join(',')}` });
      const partitions = Object.keys(s.partitions ?? {});
      if (partitions.length > 0) problems.push({ node: n, why: `partitions ${JSON.stringify(s.partitions)}` });
    } catch (e) {
      problems.push({ node: n, why: e.message });
    }
  }
  return problems;
}

async function joinCluster(spec, seed) {
  log(`joining ${spec.name} to ${seed.name}`);
  await ctl(spec, ['stop_app']);
  await ctl(spec, ['reset']);
  try {
    await ctl(spec, ['join_cluster', seed.name], { timeoutMs: 120_000 });
  } catch (e) {
    // The cluster still lists this node from before its data was deleted: forget it, then join.
    if (!/inconsistent_cluster/.test(e.message)) throw e;
    log(`${seed.name} remembers an older ${spec.name}: forget_cluster_node, then join again`);
    await ctl(seed, ['forget_cluster_node', spec.name], { timeoutMs: 120_000 });
    await ctl(spec, ['join_cluster', seed.name], { timeoutMs: 120_000 });
  }
  await ctl(spec, ['start_app'], { timeoutMs: 120_000 });
  await awaitStartup(spec, 120_000);
}

/** Stops the nodes and deletes their data (mnesia, logs). */
export async function wipeNodes(nodes = ALL_NODES) {
  await Promise.all(nodes.map((n) => stopNode(n)));
  for (const n of nodes) await rm(nodeDir(n), { recursive: true, force: true });
}

async function formCluster(nodes) {
  const [seed, ...rest] = nodes;
  await Promise.all(nodes.map((n) => startNode(n)));
  for (const n of rest) {
    const s = await clusterStatus(seed);
    if (!(s.disk_nodes ?? []).includes(n.name) || !(s.running_nodes ?? []).includes(n.name)) await joinCluster(n, seed);
  }
  let problems = await clusterProblems(nodes);
  if (problems.some((p) => p.why.startsWith('partitions'))) {
    await healPartitions(nodes);
    problems = await clusterProblems(nodes);
  }
  for (let i = 0; i < 10 && problems.length > 0; i++) {
    await sleep(1000);
    problems = await clusterProblems(nodes);
  }
  if (problems.length > 0) {
    const bad = [...new Set(problems.map((p) => p.node))];
    log(
      `cluster not whole (${problems.map((p) => `${p.node.name}: ${p.why}`).join('; ')}): restarting ${bad.map((b) => b.name).join(', ')}`,
    );
    for (const b of bad) await restartNode(b);
    problems = await clusterProblems(nodes);
  }
  if (problems.length > 0)
    throw new Error(`the cluster is not whole: ${problems.map((p) => `${p.node.name}: ${p.why}`).join('; ')}`);
}

/**
 * Starts (idempotently) the 3-node cluster and checks it with `cluster_status` from every node:
 * all three running, no partition. Resolves with the nodes and a multi-host URL.
 */
export async function startCluster({ timeoutMs = 240_000 } = {}) {
  await prepare();
  const nodes = [...CLUSTER_NODES];
  const run = async () => {
    try {
      await formCluster(nodes);
    } catch (e) {
      log(
        `could not form the cluster from its existing data (${e.message.split('\n')[0]}): wiping it and forming it fresh`,
      );
      await wipeNodes(nodes);
      await formCluster(nodes);
    }
  };
  let timer;
  await Promise.race([
    run(),
    new Promise(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`the cluster did not form within ${timeoutMs / 1000} s`)),
          timeoutMs,
        )),
    ),
  ]).finally(() => clearTimeout(timer));
  return { nodes, url: amqpUrl(nodes) };
}

/**
 * Restarts the rabbit application of the nodes on the small side of a partition. A node frozen
 * (SIGSTOP) for longer than `net_ticktime` comes back partitioned: the others declared it down but it
 * never saw them go, and neither `pause_minority` nor `autoheal` (which waits 60 s for a
 * safe-to-start message in 3.10) mends that quickly. Operators restart the minority; so do we.
 */
export async function healPartitions(nodes = [...CLUSTER_NODES]) {
  const views = [];
  for (const n of nodes) {
    try {
      const s = await clusterStatus(n);
      views.push({ node: n, running: s.running_nodes ?? [], partitioned: Object.keys(s.partitions ?? {}).length > 0 });
    } catch {
      // not answering: nothing to heal there
    }
  }
  if (!views.some((v) => v.partitioned)) return [];
  const most = Math.max(...views.map((v) => v.running.length));
  const losers = views
    .filter((v) => v.running.length < most || (v.partitioned && v.running.length === 1))
    .map((v) => v.node);
  for (const l of losers) {
    log(`healing a partition: restarting the rabbit application of ${l.name}`);
    await ctl(l, ['stop_app'], { timeoutMs: 60_000 }).catch(() => undefined);
    await ctl(l, ['start_app'], { timeoutMs: 120_000 });
  }
  return losers.map((l) => l.name);
}

/** Waits until every node runs and sees the whole cluster (after a restart or a resume), healing a partition that persists. */
export async function awaitCluster(timeoutMs = 120_000, { healAfterMs = 3000 } = {}) {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let problems = [];
  let healed = false;
  while (Date.now() < deadline) {
    problems = await clusterProblems([...CLUSTER_NODES]);
    if (problems.length === 0) return;
    if (!healed && Date.now() - start >= healAfterMs && problems.some((p) => p.why.startsWith('partitions'))) {
      healed = true;
      await healPartitions();
      continue;
    }
    await sleep(500);
  }
  throw new Error(
    `the cluster is not whole after ${timeoutMs / 1000} s: ${problems.map((p) => `${p.node.name}: ${p.why}`).join('; ')}`,
  );
}

/** Creates the test CA and certificates exactly as scripts/services.mjs does, when missing. */
export async function ensureTestCerts() {
  if (existsSync(`${TLS_DIR}/client.key`) && existsSync(`${TLS_DIR}/server.pem`)) return TLS_DIR;
  log(`creating the test CA and certificates in ${TLS_DIR}`);
  await execFile(
    'bash',
    [
      '-c',
      `set -e; mkdir -p ${TLS_DIR}; cd ${TLS_DIR}
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=oslo-messaging test CA" -keyout ca.key -out ca.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=DNS:localhost\\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out server.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=oslo-client" -keyout client.key -out client.csr
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out client.pem
chown -R rabbitmq:rabbitmq ${TLS_DIR} 2>/dev/null || true; chmod 644 ${TLS_DIR}/*`,
    ],
    { timeout: 60_000 },
  );
  return TLS_DIR;
}

/**
 * Starts (idempotently) the standalone node whose TLS listener (127.0.0.1:5712) requires a client
 * certificate signed by the test CA (verify_peer, fail_if_no_peer_cert = true).
 */
export async function startTlsNode() {
  await prepare();
  await ensureTestCerts();
  await startNode(TLS_NODE, {
    extraConfig: [
      `listeners.ssl.1 = 127.0.0.1:${TLS_NODE.tlsPort}`,
      `ssl_options.cacertfile = ${TLS_DIR}/ca.pem`,
      `ssl_options.certfile = ${TLS_DIR}/server.pem`,
      `ssl_options.keyfile = ${TLS_DIR}/server.key`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
    ],
  });
  for (let i = 0; i < 40 && !(await portOpen(TLS_NODE.tlsPort)); i++) await sleep(250);
  if (!(await portOpen(TLS_NODE.tlsPort)))
    throw new Error(
      `${TLS_NODE.name} runs but its TLS listener 127.0.0.1:${TLS_NODE.tlsPort} is not open\n${await tail(logFile(TLS_NODE))}`,
    );
  return { node: TLS_NODE, tlsDir: TLS_DIR, url: `rabbit://guest:guest@127.0.0.1:${TLS_NODE.tlsPort}/` };
}

/** Starts (idempotently) the soak node. */
export async function startSoakNode() {
  await startNode(SOAK_NODE);
  return { node: SOAK_NODE, url: amqpUrl([SOAK_NODE]) };
}

/** Stops every extra node (never the main rabbit@localhost). */
export async function stopAll() {
  await Promise.all(ALL_NODES.map((n) => stopNode(n)));
}

/** The connections a node reports (cluster-wide), as JSON rows. */
export async function listConnections(node, columns = ['name', 'port', 'peer_port', 'client_properties']) {
  return JSON.parse(await ctl(node, ['list_connections', ...columns, '--formatter', 'json'], { timeoutMs: 30_000 }));
}

/** The node of each consumer of `queue` (from its channel pid, `<oslo-c2@localhost.1.2.3>`; the JSON formatter drops the node). */
export async function consumerNodes(node, queue) {
  const out = await ctl(node, ['list_consumers', '-q', '--no-table-headers', 'queue_name', 'channel_pid'], {
    timeoutMs: 30_000,
  });
  return out
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([q]) => q === queue)
    .map(([, pid]) => /<([^.>]+@[^.>]+)\./.exec(pid ?? '')?.[1])
    .filter(Boolean);
}

/** Status of every extra node, for the CLI. */
export async function status() {
  const rows = [];
  for (const n of ALL_NODES) {
    const pid = await nodePid(n);
    const paused = pid !== undefined && (await beamState(pid))?.state === 'T';
    rows.push({
      node: n.name,
      port: n.port,
      ...(n.tlsPort ? { tlsPort: n.tlsPort } : {}),
      pid: pid ?? null,
      state: pid === undefined ? 'stopped' : paused ? 'paused' : (await isRunning(n)) ? 'running' : 'not answering',
    });
  }
  return rows;
}

async function main(argv) {
  const [cmd, arg] = argv;
  const need = () => {
    if (!arg) throw new Error(`${cmd} needs a node name (${ALL_NODES.map((n) => shortName(n.name)).join(', ')})`);
    return nodeSpec(arg);
  };
  switch (cmd) {
    case 'cluster': {
      const { url } = await startCluster();
      process.stdout.write(`${url}\n`);
      break;
    }
    case 'tls': {
      const { url } = await startTlsNode();
      process.stdout.write(
        `${url}?ssl=true&ssl_ca_file=${TLS_DIR}/ca.pem&ssl_cert_file=${TLS_DIR}/client.pem&ssl_key_file=${TLS_DIR}/client.key\n`,
      );
      break;
    }
    case 'soak':
      process.stdout.write(`${(await startSoakNode()).url}\n`);
      break;
    case 'status':
      for (const r of await status()) process.stdout.write(`${JSON.stringify(r)}\n`);
      break;
    case 'start':
      await startNode(need());
      break;
    case 'stop':
      await stopNode(need());
      break;
    case 'kill':
      await killNode(need());
      break;
    case 'pause':
      await pauseNode(need());
      break;
    case 'resume':
      await resumeNode(need());
      break;
    case 'restart':
      await restartNode(need());
      break;
    case 'stop-all':
      await stopAll();
      break;
    case 'wipe':
      await wipeNodes();
      break;
    default:
      process.stderr.write(
        'usage: node scripts/rabbit-nodes.mjs cluster|tls|soak|status|stop-all|wipe|start|stop|kill|pause|resume|restart [node]\n',
      );
      process.exit(2);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`[rabbit-nodes] FAILED: ${e.message}\n`);
    process.exit(1);
  });
}
