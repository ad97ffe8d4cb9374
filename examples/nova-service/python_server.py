#!/usr/bin/python3
"""A nova-style Python conductor that the TypeScript client calls (see src/main.ts).
Prints "ready" once it listens; stops when its standard input closes."""
import argparse
import logging
import sys

from oslo_config import cfg
import oslo_messaging as om


class NoValidHost(Exception):
    pass


NoValidHost.__module__ = 'nova.exception'


class ComputeTaskManager(object):
    target = om.Target(namespace='compute_task', version='1.17')

    def schedule_and_build_instances(self, ctxt, instance_uuids):
        print('schedule_and_build_instances for %s by %s' % (instance_uuids, ctxt.get('user_id')), flush=True)
        return {uuid: 'py-compute-%d' % (i + 1) for i, uuid in enumerate(instance_uuids)}

    def migrate_server(self, ctxt, instance, flavor):
        raise ValueError('flavor %s is too small for %s' % (flavor, instance))

    def rebuild_instance(self, ctxt, instance):
        raise NoValidHost('No valid host was found for %s' % instance)


ap = argparse.ArgumentParser()
ap.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
a = ap.parse_args()
# The server logs the errors its endpoints raise; the example shows them through the callers instead.
logging.basicConfig(level=logging.CRITICAL)
conf = cfg.CONF
conf([], project='nova-example')
om.set_transport_defaults(control_exchange='nova')
transport = om.get_rpc_transport(conf, url=a.url)
server = om.get_rpc_server(transport, om.Target(topic='conductor', server='py-conductor-1'), [ComputeTaskManager()], executor='threading')
server.start()
print('ready', flush=True)
sys.stdin.read()
server.stop()
server.wait()
transport.cleanup()
