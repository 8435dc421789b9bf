"""Login throttling rules (django-axes): which failed logins count against a login attempt, and what the
person sees when they are paused. Settings: BEARING_LOGIN_FAILURE_LIMIT and BEARING_LOGIN_COOLOFF_MINUTES.

- Per address: one address that fails too often (trying many accounts) is paused.
- Per account: an account that fails too often from anywhere (guessing from many addresses) is paused for
  addresses it has never logged in from.
- The real user's own address (one where that account has logged in before) is paused only by the failures
  made from that address, so an attacker elsewhere cannot lock them out.
Every pause ends after the cool-off: nobody is locked out for good, and failures during a pause do not
extend it.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessLog
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from core.sign_in import sign_in_choices

LOCKOUT_STATUS = 429


def lockout_parameters(request: Any, credentials: dict[str, Any] | None = None) -> list[Any]:
    """The axes lockout rules for this attempt (each rule counts failures separately; any one over the
    limit pauses the attempt)."""
    username = get_client_username(request, credentials) if isinstance(request, HttpRequest) else None
    address = getattr(request, "axes_ip_address", None)
    if username and address and AccessLog.objects.filter(username=username, ip_address=address).exists():
        return ["ip_address", ["username", "ip_address"]]
    return ["ip_address", "username"]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login page again, saying plainly that logging in is paused and for how long."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    username = get_client_username(request, credentials) or ""
    form = AuthenticationForm(request, initial={"username": username})
    after = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(after, {request.get_host()}, require_https=request.is_secure()):
        after = ""
    context = {"form": form, "locked_out_minutes": minutes, "next": after, **sign_in_choices()}
    return render(request, "registration/login.html", context, status=LOCKOUT_STATUS)
