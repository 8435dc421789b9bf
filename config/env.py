"""Typed readers for environment variables that fail loudly on values they cannot parse."""

from __future__ import annotations

import os


class ConfigurationError(RuntimeError):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use one of: true, false, 1, 0, yes, no")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


LOG_FORMATS = ("text", "json")


def log_format() -> str:
    """BEARING_LOG_FORMAT: "text" (the default, for people) or "json" (one object per line, for a log store).
    Read here rather than in settings alone because the Celery app needs it before settings load."""
    raw = os.environ.get("BEARING_LOG_FORMAT", "")
    value = raw.strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ConfigurationError(f"BEARING_LOG_FORMAT={raw!r} is not a log format; use text or json")
    return value
