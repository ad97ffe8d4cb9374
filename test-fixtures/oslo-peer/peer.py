#!/usr/bin/python3
"""A Python oslo.messaging 14 peer for interop tests, driven by command-line arguments.

serve   --topic T --server S          RPC server; prints READY, then one JSON line per cast it handles
call    --topic T --method M [--args JSON] [--server S] [--version V] [--cast] [--fanout] [--namespace N]
                                       prints {"result": ...} or {"error": {...}}
notify  --topic T --driver D --priority P --event E [--payload JSON] [--publisher P]
listen  --topic T [--pool P]           prints READY, then one JSON line per notification

Every mode takes --url (default rabbit://guest:guest@127.0.0.1:5672/).
"""
import argparse
import json
import sys

from oslo_config import cfg
import oslo_messaging as om


def out(obj):
    print(json.dumps(obj), flush=True)


class MyPythonError(Exception):
    pass


class Endpoint(object):
    target = om.Target(version='1.1')

    def __init__(self, server):
        self.server = server

    def echo(self, ctxt, payload):
        return payload

    def whoami(self, ctxt):
        return self.server

    def context(self, ctxt):
        return ctxt

    def count(self, ctxt, payload):
        out({'cast': payload, 'server': self.server})

    def fail(self, ctxt, kind):
        if kind == 'value':
            raise ValueError('bad value from python')
        raise MyPythonError('custom python failure')


class Listener(object):
    def _record(self, priority):
        def handler(ctxt, publisher_id, event_type, payload, metadata):
            out({'priority': priority, 'publisher_id': publisher_id, 'event_type': event_type,
                 'payload': payload, 'ctxt': ctxt, 'message_id': metadata.get('message_id')})
        return handler

    def __init__(self):
        for p in ('audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'):
            setattr(self, p, self._record(p))


def describe_error(e):
    return {'class': type(e).__name__, 'exc_type': getattr(e, 'exc_type', None),
            'is_value_error': isinstance(e, ValueError), 'is_remote_error': isinstance(e, om.RemoteError),
            'message': str(e).split('\n')[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode')
    ap.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
    ap.add_argument('--topic', required=True)
    ap.add_argument('--server')
    ap.add_argument('--method')
    ap.add_argument('--args', default='{}')
    ap.add_argument('--version')
    ap.add_argument('--namespace')
    ap.add_argument('--cast', action='store_true')
    ap.add_argument('--fanout', action='store_true')
    ap.add_argument('--driver', default='messagingv2')
    ap.add_argument('--priority', default='info')
    ap.add_argument('--event', default='test.event')
    ap.add_argument('--payload', default='{}')
    ap.add_argument('--publisher', default='python.peer')
    ap.add_argument('--pool')
    ap.add_argument('--context', default='{"user_id": "py-user", "project_id": "py-project"}')
    a = ap.parse_args()
    # oslo 14's client needs [oslo_messaging_metrics], registered only on the global CONF.
    conf = cfg.CONF
    conf([], project='oslo-peer')

    if a.mode == 'serve':
        transport = om.get_rpc_transport(conf, url=a.url)
        server = om.get_rpc_server(transport, om.Target(topic=a.topic, server=a.server), [Endpoint(a.server)], executor='threading')
        server.start()
        out({'ready': True})
        sys.stdin.read()
        server.stop()
        server.wait()
        transport.cleanup()
    elif a.mode == 'call':
        transport = om.get_rpc_transport(conf, url=a.url)
        client = om.get_rpc_client(transport, om.Target(topic=a.topic), timeout=15)
        kw = {}
        for k in ('server', 'version', 'namespace'):
            if getattr(a, k):
                kw[k] = getattr(a, k)
        if a.fanout:
            kw['fanout'] = True
        cctxt = client.prepare(**kw)
        ctxt = json.loads(a.context)
        try:
            if a.cast:
                cctxt.cast(ctxt, a.method, **json.loads(a.args))
                out({'result': None})
            else:
                out({'result': cctxt.call(ctxt, a.method, **json.loads(a.args))})
        except Exception as e:
            out({'error': describe_error(e)})
        transport.cleanup()
    elif a.mode == 'notify':
        transport = om.get_notification_transport(conf, url=a.url)
        notifier = om.Notifier(transport, publisher_id=a.publisher, driver=a.driver, topics=[a.topic])
        getattr(notifier, a.priority)(json.loads(a.context), a.event, json.loads(a.payload))
        out({'sent': True})
        transport.cleanup()
    elif a.mode == 'listen':
        transport = om.get_notification_transport(conf, url=a.url)
        listener = om.get_notification_listener(transport, [om.Target(topic=a.topic)], [Listener()], executor='threading', pool=a.pool)
        listener.start()
        out({'ready': True})
        sys.stdin.read()
        listener.stop()
        listener.wait()
        transport.cleanup()


if __name__ == '__main__':
    main()
