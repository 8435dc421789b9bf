"""Redirects to where the user came from, only ever to a page of this site.

Every `next`, `back` or return URL read from a request goes through `safe_next` (or `next_url`): a target is
followed only when it is a path on this site; anything else (another host, `//host`, a scheme, a backslash,
a control character, a name that is not a path) falls back to the default the caller gives.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Longer return targets are not ones this site wrote: fall back rather than echo them in a header.
MAX_TARGET_LENGTH = 2000


def is_local_path(target: str) -> bool:
    """A path on this site: starts with one slash, has no backslash, no whitespace or control character."""
    return (
        0 < len(target) <= MAX_TARGET_LENGTH
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in target)
    )


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """`target` if it is a path on this site (checked as Django's login does, with https required when the
    request came over https), otherwise `default`."""
    if (
        target
        and is_local_path(target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def next_url(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The return target a form posted (or a link carried) in `field`, if safe; otherwise `default`."""
    target = request.POST.get(field) if request.method == "POST" else None
    return safe_next(request, target or request.GET.get(field), default)


def with_next(url: str, target: str) -> str:
    """`url` carrying `target` as its `next` parameter (before any #fragment), when `target` is a local path."""
    if not is_local_path(target):
        return url
    base, hash_mark, fragment = url.partition("#")
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'next': target})}{hash_mark}{fragment}"
