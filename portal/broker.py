"""kombu's Redis transport, with one race made recoverable.

When Redis goes away, kombu closes the channel (its ``connection`` becomes ``None``) while a
task that finished meanwhile may still be acknowledging through it. The ack then fails with
``AttributeError: 'NoneType' object has no attribute 'hostname'`` instead of a connection
error; Celery only recovers from connection errors, so the worker's consumer stalled and
pages stopped until the worker was restarted (seen in the reliability suite's Redis restart).
Here such an ack or reject raises ``redis.ConnectionError``: Celery logs "Couldn't ack" and
reconnects as for any lost connection. Nothing is lost: the message stays in Redis's unacked
index and is redelivered later, and every task is idempotent (a page that was sent is not
sent again).

``portal.celery`` makes this the transport of ``redis://`` broker URLs.
"""

from __future__ import annotations

import redis
from kombu.transport import redis as kombu_redis


def _closed() -> redis.ConnectionError:
    return redis.ConnectionError("The broker connection was lost while acknowledging.")


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag):
        try:
            super().ack(delivery_tag)
        except AttributeError:
            if self.channel.connection is not None:
                raise  # a real bug, not the closed-channel race
            raise _closed() from None

    def reject(self, delivery_tag, requeue=False):
        try:
            super().reject(delivery_tag, requeue=requeue)
        except AttributeError:
            if self.channel.connection is not None:
                raise
            raise _closed() from None


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel
