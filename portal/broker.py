"""kombu's Redis transport, with one race made recoverable.

When Redis goes away, kombu releases the connection (the channel's transport loses its
``client``) while a task that finished meanwhile may still be acknowledging through it. The
ack then fails with ``AttributeError: 'NoneType' object has no attribute 'hostname'`` instead
of a connection error; Celery only recovers from connection errors, so the worker's consumer
stalled and pages stopped until the worker was restarted (seen in the reliability suite's
Redis restart).
Putting unacknowledged messages back while the channel closes fails the same way, and Celery
then stopped the worker outright ("Unrecoverable error"). Here such an ack, reject or restore
raises ``redis.ConnectionError`` instead: Celery logs it and reconnects as for any lost
connection. Nothing is lost: the messages stay in Redis's unacked index and are handed out
again after the visibility timeout, every task is idempotent (a page that was sent is not
sent again), and the beat's ticks and sweeps redo their work long before that.

``portal.celery`` makes this the transport of ``redis://`` broker URLs.
"""

from __future__ import annotations

import redis
from kombu.transport import redis as kombu_redis


def _lost(channel) -> bool:
    """The channel's connection is gone: kombu released it (the transport's ``client`` is
    ``None``) or closed the channel."""
    return channel.connection is None or channel.connection.client is None


def _closed() -> redis.ConnectionError:
    return redis.ConnectionError("The broker connection was lost while acknowledging.")


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag):
        try:
            super().ack(delivery_tag)
        except AttributeError:
            if not _lost(self.channel):
                raise  # a real bug, not the closed-channel race
            raise _closed() from None

    def reject(self, delivery_tag, requeue=False):
        try:
            super().reject(delivery_tag, requeue=requeue)
        except AttributeError:
            if not _lost(self.channel):
                raise
            raise _closed() from None

    def restore_unacked(self, client=None):
        # Called while the channel closes after a lost connection: see the module docstring.
        try:
            super().restore_unacked(client)
        except AttributeError:
            if not _lost(self.channel):
                raise
            raise _closed() from None


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel
