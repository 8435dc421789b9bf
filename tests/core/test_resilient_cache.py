"""The Redis cache degrades while Redis is down: every operation answers its "nothing there" value at once
(refused) or within the Redis timeout (hung), and the outage is logged once, not per call."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from core.cache import ResilientRedisCache, ResilientRedisCacheClient


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


def cache_at(port: int) -> ResilientRedisCache:
    timeout = settings.REDIS_TIMEOUT
    return ResilientRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout}},
    )


@pytest.fixture
def fresh_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that has not warned yet."""
    monkeypatch.setattr(ResilientRedisCacheClient, "_last_warning", -1e9)


def test_every_operation_answers_nothing_there_while_redis_refuses_connections(
    listener: socket.socket, fresh_warning: None, caplog: pytest.LogCaptureFixture
) -> None:
    # given: nothing listens on the port (Redis is down)
    port = listener.getsockname()[1]
    listener.close()
    cache = cache_at(port)

    # when / then: misses and refusals, and nothing raised but incr's "not found"
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.add("lock", 1, timeout=30) is False
        assert cache.get("lock", "default") == "default"
        cache.set("lock", 2)
        assert cache.touch("lock") is False
        assert cache.delete("lock") is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.has_key("lock") is False
        assert cache.set_many({"a": 1}) == []
        cache.delete_many(["a"])
        cache.clear()
        with pytest.raises(ValueError, match="Key ':1:hits' not found."):
            cache.incr("hits")

    # then: one warning for the outage, naming the first failed operation
    assert [r.getMessage() for r in caplog.records] == [
        f"Cache unreachable (add: Error 111 connecting to 127.0.0.1:{port}. Connection refused.); "
        "carrying on without it"
    ]


def test_a_hung_redis_costs_a_cache_read_the_redis_timeout_not_the_request(
    listener: socket.socket, fresh_warning: None
) -> None:
    # given: a socket that accepts connections and never answers (a paused Redis)
    listener.listen(4)
    cache = cache_at(listener.getsockname()[1])

    # when
    began = time.monotonic()
    value = cache.get("lock", "default")
    took = time.monotonic() - began

    # then: a miss, after one wait of the Redis timeout
    assert value == "default"
    assert settings.REDIS_TIMEOUT <= took < settings.REDIS_TIMEOUT + 1
