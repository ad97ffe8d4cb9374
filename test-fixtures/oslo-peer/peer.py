#!/usr/bin/python3
"""A Python oslo.messaging peer for interop tests, driven by command-line arguments. It runs whichever
oslo.messaging `import oslo_messaging` finds: Debian's 14.0.3, or upstream 18.1.0 extracted from
../shared/peers and put first on PYTHONPATH (with PBR_VERSION=18.1.0, as it has no package metadata).

serve   --topic T --server S          RPC server; prints READY, then one JSON line per cast it handles
call    --topic T --method M [--args JSON] [--server S] [--version V] [--cast] [--fanout] [--namespace N]
                                       prints {"result": ...} or {"error": {...}}
notify  --topic T --driver D --priority P --event E [--payload JSON] [--publisher P]
        [--context-kind dict|request|redactable]
listen  --topic T [--pool P]           prints READY, then one JSON line per notification
version                                only the first line below

Every mode takes --url (default rabbit://guest:guest@127.0.0.1:5672/). Every mode first prints
{"oslo_messaging": {"version": V, "path": P, "source": S}}: which oslo.messaging was imported, from
where, and whether V came from package metadata beside it or from PBR_VERSION (the tests check it, so
a wrong PYTHONPATH cannot pass for the other peer).
"""
import argparse
import importlib.metadata
import json
import os
import sys

from oslo_config import cfg
import oslo_messaging as om


def out(obj):
    print(json.dumps(obj), flush=True)


def oslo_messaging_version():
    """The imported oslo.messaging's version: metadata in the same sys.path entry, else $PBR_VERSION."""
    path = os.path.dirname(os.path.abspath(om.__file__))
    for dist in importlib.metadata.distributions(path=[os.path.dirname(path)]):
        if (dist.metadata['Name'] or '').lower().replace('_', '.') == 'oslo.messaging':
            return {'version': dist.version, 'path': path, 'source': 'metadata'}
    return {'version': os.environ.get('PBR_VERSION'), 'path': path, 'source': 'PBR_VERSION'}


def notification_context(kind, ctxt):
    """The context a notifier is given: a plain dict, an oslo.context RequestContext (with a token), or
    one that can redact itself the way oslo.context >= 5.3's redacted_copy() does (which 18.1's notifier
    calls; Debian's oslo.context 5.0.0 has no redacted_copy, so 18.1 sends {} for a RequestContext)."""
    if kind == 'dict':
        return ctxt
    from oslo_context import context as oslo_context

    class RedactableContext(oslo_context.RequestContext):
        def redacted_copy(self, **kwargs):
            return oslo_context.RequestContext(user_id=self.user_id, project_id=self.project_id,
                                               request_id=self.request_id, roles=self.roles,
                                               is_admin=self.is_admin, **kwargs)

    cls = RedactableContext if kind == 'redactable' else oslo_context.RequestContext
    return cls(auth_token='py-secret-token', roles=['reader'], **ctxt)


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
    ap.add_argument('--topic')
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
    ap.add_argument('--context-kind', default='dict', choices=('dict', 'request', 'redactable'))
    a = ap.parse_args()
    out({'oslo_messaging': oslo_messaging_version()})
    if a.mode == 'version':
        return
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
        getattr(notifier, a.priority)(notification_context(a.context_kind, json.loads(a.context)), a.event, json.loads(a.payload))
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
