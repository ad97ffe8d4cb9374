#!/usr/bin/env node
// Brings up and verifies every service the tests need on this kind of machine, so `npm test`
// works alone on a fresh machine: RabbitMQ (with the AMQP 1.0 plugin), Redis, and the Python
// oslo.messaging peer. Each step says what it does; a service that cannot be brought up fails loudly.
import { execSync, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';

const log = (m) => process.stdout.write(`[services] ${m}\n`);
const sh = (cmd, opts = {}) =>
  spawnSync('bash', ['-c', cmd], {
    stdio: opts.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
    timeout: opts.timeout ?? 300_000,
  });

function portOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitPort(port, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await portOpen(port)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const isRoot = process.getuid?.() === 0;
let aptUpdated = false;
function aptInstall(pkgs) {
  if (!isRoot) throw new Error(`need root to install ${pkgs.join(' ')}`);
  if (!aptUpdated) {
    sh('apt-get update -qq', { quiet: true });
    aptUpdated = true;
  }
  const r = sh(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs.join(' ')}`, { quiet: true });
  if (r.status !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed:\n${r.stderr}`);
}

function has(cmd) {
  return sh(`command -v ${cmd}`, { quiet: true }).status === 0;
}

const failures = [];

// RabbitMQ. A broker paused with SIGSTOP (a reliability test interrupted before it sent SIGCONT)
// still accepts TCP connections but never answers: always resume it first.
sh('pkill -CONT -f beam.smp || true', { quiet: true });
if (!(await portOpen(5672))) {
  log('RabbitMQ is not answering on 5672: starting it');
  if (!has('rabbitmq-server')) aptInstall(['rabbitmq-server']);
  sh('rabbitmq-server -detached', { quiet: true });
  if (!(await waitPort(5672, 90))) failures.push('RabbitMQ did not come up on 127.0.0.1:5672');
}
if (has('rabbitmqctl')) {
  sh('rabbitmqctl await_startup --timeout 60', { quiet: true });
  const plugins = sh('rabbitmq-plugins list -e -m', { quiet: true }).stdout ?? '';
  if (!plugins.includes('rabbitmq_amqp1_0')) {
    log('enabling rabbitmq_amqp1_0');
    const r = sh('rabbitmq-plugins enable rabbitmq_amqp1_0', { quiet: true });
    if (r.status !== 0) failures.push(`could not enable rabbitmq_amqp1_0: ${r.stderr}`);
  }
  const status = sh('rabbitmqctl status', { quiet: true });
  if (status.status !== 0) failures.push('rabbitmqctl status failed');
}

// RabbitMQ TLS listener on 127.0.0.1:5671 for the driver's TLS tests: a test CA, a server certificate
// for "localhost" only (so hostname verification against 127.0.0.1 must fail) and a client certificate.
const TLS_DIR = '/var/lib/rabbitmq/oslo-test-tls';
const TLS_CONF = `listeners.ssl.default = 127.0.0.1:5671
ssl_options.cacertfile = ${TLS_DIR}/ca.pem
ssl_options.certfile = ${TLS_DIR}/server.pem
ssl_options.keyfile = ${TLS_DIR}/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
`;
if (has('rabbitmqctl')) {
  if (sh(`test -s ${TLS_DIR}/client.key`, { quiet: true }).status !== 0) {
    log('creating the test CA and certificates for the RabbitMQ TLS listener');
    const r = sh(
      `set -e; mkdir -p ${TLS_DIR}; cd ${TLS_DIR}
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=oslo-messaging test CA" -keyout ca.key -out ca.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext -out server.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=oslo-client" -keyout client.key -out client.csr
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out client.pem
chown -R rabbitmq:rabbitmq ${TLS_DIR} 2>/dev/null || true; chmod 644 ${TLS_DIR}/*`,
      { quiet: true },
    );
    if (r.status !== 0) failures.push(`could not create TLS test certificates: ${r.stderr}`);
  }
  const confFile = '/etc/rabbitmq/rabbitmq.conf';
  const current = sh(`cat ${confFile} 2>/dev/null`, { quiet: true }).stdout ?? '';
  if (!current.includes('listeners.ssl.default') && failures.length === 0) {
    log('adding the TLS listener (127.0.0.1:5671) to RabbitMQ and restarting it');
    sh(`cp ${confFile} ${confFile}.before-oslo-tls 2>/dev/null; printf '%s' "${TLS_CONF}" >> ${confFile}`, {
      quiet: true,
    });
    sh('rabbitmqctl stop', { quiet: true });
    sh('rabbitmq-server -detached', { quiet: true });
    if (!(await waitPort(5672, 120))) {
      // Never leave the machine without a broker: put the old config back.
      sh(`cp ${confFile}.before-oslo-tls ${confFile}; rabbitmq-server -detached`, { quiet: true });
      await waitPort(5672, 120);
      failures.push('RabbitMQ did not start with the TLS listener; the previous configuration was restored');
    } else {
      sh('rabbitmqctl await_startup --timeout 120', { quiet: true });
    }
  }
  if (current.includes('listeners.ssl.default') || failures.length === 0) {
    if (!(await waitPort(5671, 60))) failures.push('RabbitMQ TLS listener is not answering on 127.0.0.1:5671');
  }
}

// Redis
if (!(await portOpen(6379))) {
  log('Redis is not answering on 6379: starting it');
  if (!has('redis-server')) aptInstall(['redis-server']);
  sh(
    'mkdir -p /var/lib/redis /var/log/redis; redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    { quiet: true },
  );
  if (!(await waitPort(6379, 30))) failures.push('Redis did not come up on 127.0.0.1:6379');
}

// NATS with JetStream (the out-of-tree NATS driver example and its conformance run)
if (!(await portOpen(4222))) {
  log('NATS is not answering on 4222: starting it');
  if (!has('nats-server') && sh('test -x /usr/sbin/nats-server', { quiet: true }).status !== 0)
    aptInstall(['nats-server']);
  sh(
    'mkdir -p /var/lib/nats-server; start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
    { quiet: true },
  );
  if (!(await waitPort(4222, 30))) failures.push('NATS did not come up on 127.0.0.1:4222');
}

// The Python peers and brokers the interop tests run: Debian's oslo.messaging 14 (and the oslo
// dependencies upstream's 18.1 runs on), Qpid Proton and pyngus (AMQP 1.0 peer), Proton's example
// broker, and the oslo.metrics exporter. Each is checked on its own, so a machine that has some gets the rest.
const PYTHON_NEEDS = [
  {
    what: 'Python oslo.messaging',
    check: '/usr/bin/python3 -c "import oslo_messaging"',
    pkg: 'python3-oslo.messaging',
  },
  { what: 'Qpid Proton for Python', check: '/usr/bin/python3 -c "import proton"', pkg: 'python3-qpid-proton' },
  { what: 'pyngus', check: '/usr/bin/python3 -c "import pyngus"', pkg: 'python3-pyngus' },
  {
    what: "Proton's example broker",
    check: 'test -f /usr/share/proton/examples/python/broker.py',
    pkg: 'libqpid-proton11-dev-examples',
  },
  {
    what: 'the oslo.metrics exporter',
    check: '/usr/bin/python3 -c "import oslo_metrics, prometheus_client"',
    pkg: 'python3-oslo.metrics',
  },
];
const missing = PYTHON_NEEDS.filter((n) => sh(n.check, { quiet: true }).status !== 0);
if (missing.length > 0) {
  log(`installing ${missing.map((n) => n.pkg).join(', ')}`);
  try {
    aptInstall([...new Set(missing.map((n) => n.pkg))]);
  } catch (e) {
    failures.push(String(e.message));
  }
  for (const n of missing)
    if (sh(n.check, { quiet: true }).status !== 0)
      failures.push(`${n.what} is missing after installing ${n.pkg} (${n.check})`);
}

if (failures.length > 0) {
  for (const f of failures) process.stderr.write(`[services] FAILED: ${f}\n`);
  process.exit(1);
}
log(
  `ready: RabbitMQ 5672 (TLS 5671), Redis 6379, NATS 4222, Python ${execSync('/usr/bin/python3 -c "import oslo_messaging, importlib.metadata as m; print(m.version(\'oslo.messaging\'))"').toString().trim()} oslo.messaging`,
);
