"""The address a request came from, as far as it can be trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind a proxy (DJANGO_BEHIND_PROXY) the address our own proxy saw.

    A client may send any X-Forwarded-For it likes; each proxy in front of Bearing appends the address that
    connected to it. So with N proxies (DJANGO_PROXY_COUNT) the N-th entry from the right is the one our
    outermost proxy wrote; everything left of it came from the client and is never trusted."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    if not settings.BEARING_BEHIND_PROXY:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    count = settings.BEARING_PROXY_COUNT
    if len(hops) < count:
        return remote
    return _valid(hops[-count]) or remote
