#!/usr/bin/python3
"""Plays a nova compute node: sends notifications with oslo.messaging's Notifier (messagingv2)."""
import argparse
import logging

from oslo_config import cfg
import oslo_messaging as om

ap = argparse.ArgumentParser()
ap.add_argument('--url', default='rabbit://guest:guest@127.0.0.1:5672/')
ap.add_argument('--topic', default='notifications')
a = ap.parse_args()
logging.basicConfig(level=logging.ERROR)

conf = cfg.CONF
conf([], project='collector-example')
transport = om.get_notification_transport(conf, url=a.url)
notifier = om.Notifier(transport, publisher_id='compute.host1', driver='messagingv2', topics=[a.topic])
ctxt = {'user_id': 'alice', 'project_id': 'demo', 'request_id': 'req-1'}

for i in range(6):
    notifier.info(ctxt, 'compute.instance.create.end', {'instance_id': 'i-%d' % i, 'memory_mb': 512 * (i + 1)})
notifier.info(ctxt, 'image.upload', {'image_id': 'img-1'})  # not for the compute collector's filter
notifier.info(ctxt, 'compute.instance.delete.end', {'instance_id': 'i-0'})
notifier.error(ctxt, 'compute.instance.create.error', {'instance_id': 'i-6', 'message': 'No valid host'})
print('sent 9 notifications', flush=True)
transport.cleanup()
