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


@pytest.mark.parametrize("call", ["ack", "reject"])
def test_ack_on_a_channel_closed_by_a_lost_connection_is_a_connection_error(call):
    qos = _qos(connection=None)
    with pytest.raises(redis.ConnectionError):
        getattr(qos, call)("tag")
    # Celery recovers from the transport's connection errors (it logs "Couldn't ack").
    assert issubclass(redis.ConnectionError, broker.Transport.connection_errors)


@pytest.mark.parametrize("call", ["ack", "reject"])
def test_other_attribute_errors_are_not_hidden(call):
    qos = _qos(connection=object())
    with pytest.raises(AttributeError):
        getattr(qos, call)("tag")
