"""A Redis cache that degrades instead of failing when Redis is down or hung.

Bearing keeps nothing in its cache that a request cannot do without (locks that save duplicate work, hints):
when Redis cannot be reached, a read is a miss, a write is dropped, an add is refused, and the request goes on.
Short socket timeouts (set in settings) bound what a hung Redis costs a request; the outage is logged at most
once a minute per process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)
T = TypeVar("T")
LOG_EVERY = 60.0  # seconds between two warnings about the same outage in one process


class ResilientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with every operation answering its "nothing there" value on a Redis error."""

    _last_warning = -LOG_EVERY

    def _guard(self, fallback: T, method: Callable[..., T], *args: Any) -> T:
        try:
            return method(self, *args)
        except redis.RedisError as error:
            now = time.monotonic()
            if now - ResilientRedisCacheClient._last_warning >= LOG_EVERY:
                ResilientRedisCacheClient._last_warning = now
                log.warning("Cache unreachable (%s: %s); carrying on without it", method.__name__, error)
            return fallback

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return self._guard(False, RedisCacheClient.add, key, value, timeout)

    def get(self, key: Any, default: Any) -> Any:
        return self._guard(default, RedisCacheClient.get, key, default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        self._guard(None, RedisCacheClient.set, key, value, timeout)

    def touch(self, key: Any, timeout: Any) -> bool:
        return self._guard(False, RedisCacheClient.touch, key, timeout)

    def delete(self, key: Any) -> bool:
        return self._guard(False, RedisCacheClient.delete, key)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return self._guard({}, RedisCacheClient.get_many, keys)

    def has_key(self, key: Any) -> bool:
        return self._guard(False, RedisCacheClient.has_key, key)

    def incr(self, key: Any, delta: Any) -> Any:
        missing = object()
        value = self._guard(missing, RedisCacheClient.incr, key, delta)
        if value is missing:  # answered as for a key that is not there, which callers already handle
            raise ValueError(f"Key '{key}' not found.")
        return value

    def set_many(self, data: Any, timeout: Any) -> None:
        self._guard(None, RedisCacheClient.set_many, data, timeout)

    def delete_many(self, keys: Any) -> None:
        self._guard(None, RedisCacheClient.delete_many, keys)

    def clear(self) -> bool:
        return self._guard(False, RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache whose operations degrade to a miss while Redis is down."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
