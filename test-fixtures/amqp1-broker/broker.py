#!/usr/bin/python3
"""A small AMQP 1.0 broker for tests, on Qpid Proton's reactor (Debian's python3-qpid-proton).

It behaves like the qpidd set-up oslo.messaging's devstack plugin uses: addresses that start with
"broadcast" (legacy) or contain "/multicast/" (routable) are topics, where every subscriber gets its
own copy; every other address is a queue, shared round-robin by its subscribers and holding messages
until one attaches. Dynamic sources (the reply address of oslo's AMQP 1.0 driver) get a fresh queue.
Released messages go back to the front of their queue; messages past their TTL are dropped.

Test hook: a message to "$delete" whose body is an address deletes that node as an operator deleting a
qpidd queue would: its messages are dropped and every subscriber's link is detached with
amqp:resource-deleted (the connection stays up).

Test hook: a link sending to an address that contains "nocredit" is attached but never given credit, as
a broker applying flow control that never lifts would do.

Usage: broker.py HOST:PORT   (prints "ready" on stdout once listening)
"""
import collections
import sys
import time
import os
import uuid

from proton import Condition, Endpoint
from proton.handlers import MessagingHandler
from proton.reactor import Container


DEBUG = os.environ.get('BROKER_DEBUG') == '1'
CREDIT = 100                                         # credit window of every incoming link


def grants_credit(address):
    return "nocredit" not in (address or "")


def is_topic(address):
    return address.startswith("broadcast") or "/multicast/" in address


class Node(object):
    """A queue or a topic: its subscribers and what waits for them."""

    def __init__(self, address):
        self.address = address
        self.topic = is_topic(address)
        self.subscribers = []
        self.backlog = collections.deque()           # queues only
        self.pending = {}                            # topics: link -> deque
        self.turn = 0

    def subscribe(self, link):
        self.subscribers.append(link)
        if self.topic:
            self.pending[link] = collections.deque()

    def unsubscribe(self, link):
        if link in self.subscribers:
            self.subscribers.remove(link)
        self.pending.pop(link, None)

    def publish(self, message, front=False):
        if self.topic:
            for link in self.subscribers:
                self.pending[link].append(message)
        elif front:
            self.backlog.appendleft(message)
        else:
            self.backlog.append(message)
        self.dispatch()

    def dispatch(self):
        if self.topic:
            for link in self.subscribers:
                q = self.pending[link]
                while q and link.credit > 0:
                    send(link, q.popleft())
            return
        while self.backlog and self.subscribers:
            ready = [l for l in self.subscribers if l.credit > 0]
            if not ready:
                return
            link = ready[self.turn % len(ready)]
            self.turn += 1
            send(link, self.backlog.popleft())



def send(link, message):
    if getattr(message, "_received_at", None) and message.ttl and time.time() - message._received_at > message.ttl:
        return
    delivery = link.send(message)
    delivery.node_message = message
    outstanding(link).add(delivery)


def outstanding(link):
    """The deliveries sent on a link and not settled by its consumer yet."""
    if not hasattr(link, "outstanding"):
        link.outstanding = set()
    return link.outstanding


class Broker(MessagingHandler):
    def __init__(self, url):
        # Credit is ours to grant (prefetch=0), so the "nocredit" hook can withhold it.
        super(Broker, self).__init__(prefetch=0, auto_accept=False)
        self.url = url
        self.nodes = {}

    def node(self, address):
        if address not in self.nodes:
            self.nodes[address] = Node(address)
        return self.nodes[address]

    def on_start(self, event):
        self.acceptor = event.container.listen(self.url)
        sys.stdout.write("ready\n")
        sys.stdout.flush()

    def on_link_opening(self, event):
        link = event.link
        if link.is_sender:
            if link.remote_source.dynamic:
                address = "dynamic.%s" % uuid.uuid4().hex
            else:
                address = link.remote_source.address
            link.source.address = address
            if DEBUG:
                sys.stderr.write("subscribe %r (dynamic=%s)\n" % (address, link.remote_source.dynamic))
            link.link_node = self.node(address)
            link.link_node.subscribe(link)
        else:
            link.target.address = link.remote_target.address
            if grants_credit(link.target.address):
                link.flow(CREDIT)

    def forget(self, link):
        node = getattr(link, "link_node", None)
        if DEBUG:
            sys.stderr.write("forget %r node=%r\n" % (link.name, node and node.address))
        if node is not None:
            node.unsubscribe(link)
            if not node.topic:
                # What the consumer never settled goes back to the queue, as qpidd does when a link dies.
                for delivery in sorted(outstanding(link), key=lambda d: d.tag, reverse=True):
                    if not delivery.remote_state:
                        node.backlog.appendleft(delivery.node_message)
                node.dispatch()
        outstanding(link).clear()

    def on_link_closing(self, event):
        self.forget(event.link)

    def on_connection_closing(self, event):
        self.forget_connection(event.connection)

    def on_disconnected(self, event):
        self.forget_connection(event.connection)

    def on_connection_error(self, event):
        # A peer closing with an error (an idle time-out, say) gets neither on_connection_closing nor
        # on_disconnected from Proton: forget its links here too, or they keep taking messages.
        self.forget_connection(event.connection)
        super(Broker, self).on_connection_error(event)

    def on_settled(self, event):
        outstanding(event.link).discard(event.delivery)

    def on_accepted(self, event):
        outstanding(event.link).discard(event.delivery)

    on_rejected = on_accepted

    def forget_connection(self, connection):
        link = connection.link_head(Endpoint.REMOTE_ACTIVE | Endpoint.LOCAL_ACTIVE)
        while link:
            self.forget(link)
            link = link.next(Endpoint.REMOTE_ACTIVE | Endpoint.LOCAL_ACTIVE)
        link = connection.link_head(0)
        while link:
            self.forget(link)
            link = link.next(0)

    def on_sendable(self, event):
        node = getattr(event.link, "link_node", None)
        if node is not None:
            node.dispatch()

    def on_message(self, event):
        address = event.link.target.address or event.message.address
        message = event.message
        message._received_at = time.time()
        self.accept(event.delivery)
        if event.link.credit < CREDIT // 2 and grants_credit(event.link.target.address):
            event.link.flow(CREDIT - event.link.credit)
        if DEBUG:
            sys.stderr.write("message to %r (link target %r) subscribers=%d\n" % (address, event.link.target.address, len(self.node(address).subscribers) if address else -1))
        if address == "$delete":
            self.delete_node(str(message.body))
        elif address:
            self.node(address).publish(message)

    def delete_node(self, address):
        node = self.nodes.pop(address, None)
        if node is None:
            return
        for link in list(node.subscribers):
            node.unsubscribe(link)
            link.link_node = None
            link.condition = Condition("amqp:resource-deleted", "node %s was deleted" % address)
            link.close()
        if DEBUG:
            sys.stderr.write("deleted %r\n" % address)

    def on_released(self, event):
        outstanding(event.link).discard(event.delivery)
        message = getattr(event.delivery, "node_message", None)
        node = getattr(event.link, "link_node", None)
        if message is not None and node is not None and not node.topic:
            node.publish(message, front=True)

    on_modified = on_released


if __name__ == "__main__":
    try:
        Container(Broker(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:5673")).run()
    except KeyboardInterrupt:
        pass
