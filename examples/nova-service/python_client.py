#!/usr/bin/python3
"""A nova-style Python client of the TypeScript compute service (see src/main.ts)."""
import argparse
import logging

from oslo_config import cfg
import oslo_messaging as om

ap = argparse.ArgumentParser()
ap.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
a = ap.parse_args()
# The server logs the errors its endpoints raise; the example shows them through the callers instead.
logging.basicConfig(level=logging.CRITICAL)

conf = cfg.CONF
conf([], project='nova-example')
# oslo.messaging 14's RPC client keeps a metrics thread alive for 10 s after the last call; exit at once.
conf.set_override('metrics_thread_stop_timeout', 0, group='oslo_messaging_metrics')
om.set_transport_defaults(control_exchange='nova')
transport = om.get_rpc_transport(conf, url=a.url)
ctxt = {'user_id': 'bob', 'project_id': 'demo', 'request_id': 'req-py-1'}

compute = om.get_rpc_client(transport, om.Target(topic='compute'), timeout=15)
v5 = compute.prepare(version='5.0')
print('get_console_output 5.0 ->', repr(v5.call(ctxt, 'get_console_output', instance='i-1', tail_length=1)), flush=True)
v6 = compute.prepare(version='6.0', server='ts-compute-1')
out = v6.call(ctxt, 'get_console_output', instance='i-1')
print('get_console_output 6.0 ->', out['host'], out['lines'], flush=True)
print('get_host_uptime 6.2 ->', compute.prepare(version='6.2').call(ctxt, 'get_host_uptime'), flush=True)
compute.prepare(version='6.0').cast(ctxt, 'reboot_instance', instance='i-1', reboot_type='SOFT')
print('reboot_instance 6.0 cast sent', flush=True)

for namespace, version, method in ((None, '7.0', 'get_host_uptime'), (None, '6.3', 'get_host_uptime'),
                                   ('compute_task', '6.0', 'get_host_uptime'), (None, '6.0', 'sync_power_states')):
    try:
        compute.prepare(namespace=namespace, version=version).call(ctxt, method)
    except Exception as e:
        # Without allowed_remote_exmods the error arrives as oslo's RemoteError naming the server-side class.
        where = '%s %s' % (namespace, version) if namespace else version
        print('%s %s -> %s' % (method, where, getattr(e, 'exc_type', type(e).__name__)), flush=True)

base = compute.prepare(namespace='baseapi', version='1.0')
print('baseapi ping ->', base.call(ctxt, 'ping', arg='hello'), flush=True)
transport.cleanup()
