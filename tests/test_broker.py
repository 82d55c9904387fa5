"""The Redis transport's closed-channel race becomes a connection error (portal/broker.py)."""

from types import SimpleNamespace

import pytest
import redis
from kombu.transport import resolve_transport

from portal import broker


def _qos(connection):
    qos = broker.QoS.__new__(broker.QoS)  # no broker needed: only ack/reject's error path
    qos.channel = SimpleNamespace(connection=connection)

    def closed_channel(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'hostname'")

    qos._remove_from_indices = closed_channel
    return qos


def test_redis_urls_use_the_project_transport():
    import portal.celery  # noqa: F401 - registers the alias

    assert resolve_transport("redis") is broker.Transport
    assert broker.Transport.Channel.QoS is broker.QoS


RELEASED = SimpleNamespace(client=None)  # the transport of a released kombu connection
LIVE = SimpleNamespace(client=object())


@pytest.mark.parametrize("connection", [None, RELEASED])
@pytest.mark.parametrize("call", ["ack", "reject"])
def test_ack_on_a_channel_whose_connection_was_lost_is_a_connection_error(call, connection):
    qos = _qos(connection=connection)
    with pytest.raises(redis.ConnectionError):
        getattr(qos, call)("tag")
    # Celery recovers from the transport's connection errors (it logs "Couldn't ack").
    assert issubclass(redis.ConnectionError, broker.Transport.connection_errors)


@pytest.mark.parametrize("call", ["ack", "reject"])
def test_other_attribute_errors_are_not_hidden(call):
    qos = _qos(connection=LIVE)
    with pytest.raises(AttributeError):
        getattr(qos, call)("tag")


def test_restoring_unacked_messages_on_a_closed_channel_is_a_connection_error():
    qos = _qos(connection=RELEASED)
    qos.channel.conn_or_acquire = qos._remove_from_indices  # raises the same AttributeError
    with pytest.raises(redis.ConnectionError):
        qos.restore_unacked()
    qos.channel.connection = LIVE
    with pytest.raises(AttributeError):
        qos.restore_unacked()
