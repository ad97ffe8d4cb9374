#!/usr/bin/python3
"""Python oslo.messaging anchor for `npm run bench -- rabbit` (Debian's 14.0.3, or upstream 18.1.0 on
PYTHONPATH with PBR_VERSION): sequential and concurrent calls to a Python server, for a fixed duration.
Prints one JSON line: {"mode", "calls", "seconds", "p50_ms", "p99_ms", "oslo_messaging", "path"}
(the version imported, from package metadata beside it or else $PBR_VERSION, and from where)."""
import importlib.metadata
import json
import os
import sys
import threading
import time
import uuid

from oslo_config import cfg
import oslo_messaging as om

URL = sys.argv[1]
MODE = sys.argv[2]          # seq | par10
SECONDS = float(sys.argv[3])


def oslo_messaging_version():
    path = os.path.dirname(om.__file__)
    for dist in importlib.metadata.distributions(path=[os.path.dirname(path)]):
        if (dist.metadata['Name'] or '').lower().replace('_', '.') == 'oslo.messaging':
            return dist.version, path
    return os.environ.get('PBR_VERSION'), path


class Endpoint(object):
    def echo(self, ctxt, payload):
        return payload


def main():
    cfg.CONF([], project='oslo-bench')
    transport = om.get_rpc_transport(cfg.CONF, url=URL)
    topic = 'pybench_' + uuid.uuid4().hex[:8]
    server = om.get_rpc_server(transport, om.Target(topic=topic, server='s'), [Endpoint()], executor='threading')
    server.start()
    client = om.get_rpc_client(transport, om.Target(topic=topic), timeout=30)
    for _ in range(20):
        client.call({}, 'echo', payload='warm')
    threads = 1 if MODE == 'seq' else 10
    lat = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def worker():
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            client.call({}, 'echo', payload={'a': 1, 'b': 'x' * 100})
            with lock:
                lat.append(time.monotonic() - t0)

    start = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.monotonic() - start
    lat.sort()
    version, path = oslo_messaging_version()
    print(json.dumps({'mode': MODE, 'calls': len(lat), 'seconds': took,
                      'p50_ms': lat[len(lat) // 2] * 1000, 'p99_ms': lat[int(len(lat) * 0.99)] * 1000,
                      'oslo_messaging': version, 'path': path}), flush=True)
    server.stop()
    server.wait()
    transport.cleanup()


if __name__ == '__main__':
    main()
