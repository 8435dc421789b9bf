"""Small helpers of the steering pages: keys of a review's figures in words and the shape of their values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from steering.figures import humanize, status_key

register = template.Library()


@register.filter
def humanize_key(value: Any) -> str:
    """ "on_track" -> "on track"."""
    return humanize(str(value))


@register.filter(name="status_key")
def status_key_filter(value: Any) -> str:
    """ "Off track" -> "off_track", for the CSS class of a KPI status."""
    return status_key(value)


@register.filter
def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


@register.filter
def absolute(value: Any) -> Any:
    try:
        return abs(value)
    except TypeError:
        return value
