#!/usr/bin/python3
"""The Python hop: an oslo.messaging server on topic <frontend> whose `checkout` calls the TypeScript
backend with the context it received. Python has no tracing here; the W3C trace context travels inside the
oslo context dict (otel_traceparent), so passing the context on keeps the trace whole.
Prints "ready" once it listens; stops when its standard input closes."""
import argparse
import logging
import sys

from oslo_config import cfg
import oslo_messaging as om

ap = argparse.ArgumentParser()
ap.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
ap.add_argument('--frontend', required=True)
ap.add_argument('--backend', required=True)
a = ap.parse_args()
logging.basicConfig(level=logging.ERROR)

conf = cfg.CONF
conf([], project='tracing-example')
# oslo.messaging 14's RPC client keeps a metrics thread alive for 10 s after the last call; exit at once.
conf.set_override('metrics_thread_stop_timeout', 0, group='oslo_messaging_metrics')
transport = om.get_rpc_transport(conf, url=a.url)
backend = om.get_rpc_client(transport, om.Target(topic=a.backend), timeout=15)


class Frontend(object):
    def checkout(self, ctxt, sku, count):
        print('python hop: checkout %s x%d, traceparent %s' % (sku, count, ctxt.get('otel_traceparent')), flush=True)
        reserved = backend.call(ctxt, 'reserve', sku=sku, count=count)
        return {'order': 'o-1', 'reserved': reserved}


server = om.get_rpc_server(transport, om.Target(topic=a.frontend, server='py-hop'), [Frontend()], executor='threading')
server.start()
print('ready', flush=True)
sys.stdin.read()
server.stop()
server.wait()
transport.cleanup()
