"""The session guard: a signed-in request whose session has been idle or open for too long is signed out
before any view runs. It reads only the session (already loaded): a session ended elsewhere (sign out
everywhere, the account deactivated) was deleted from the session store, so its request arrives signed out."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.redirects import with_next
from identity import provider, services, two_factor
from identity.models import EventKind
from identity.receivers import ENDING_ATTRIBUTE

# The idle clock is written at most this often: it is counted in minutes, not requests.
SEEN_EVERY = datetime.timedelta(minutes=1)


class SessionGuardMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware. No query on most requests; a write a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._guard(request)
        return self.get_response(request)

    def _guard(self, request: HttpRequest) -> None:
        state = request.session.get(services.SESSION_KEY)
        if not isinstance(state, dict):  # signed in before sessions were recorded: recorded from now on
            services.session_start(request=request, user=request.user, announce=False)
            return
        if state.get("key") != request.session.session_key:
            services.session_rekeyed(request=request, old_key=str(state.get("key")))
        now = timezone.now()
        started = datetime.datetime.fromtimestamp(state["started"], tz=datetime.UTC)
        seen = datetime.datetime.fromtimestamp(state["seen"], tz=datetime.UTC)
        idle = settings.BEARING_SESSION_IDLE_MINUTES
        longest = settings.BEARING_SESSION_MAX_HOURS
        if idle and now - seen > datetime.timedelta(minutes=idle):
            self._sign_out(
                request,
                f"You were signed out after {idle} minute{'' if idle == 1 else 's'} without activity.",
            )
        elif longest and now - started > datetime.timedelta(hours=longest):
            self._sign_out(
                request,
                f"You were signed out: a session lasts at most {longest} hour{'' if longest == 1 else 's'}.",
            )
        elif now - seen >= SEEN_EVERY:
            services.session_seen(request=request, now=now)

    def _sign_out(self, request: HttpRequest, message: str) -> None:
        setattr(request, ENDING_ATTRIBUTE, EventKind.SESSION_EXPIRED)
        logout(request)
        messages.info(request, message)


class SecondFactorRequiredMiddleware:
    """With BEARING_REQUIRE_2FA_FOR_ADMINS on, an admin whose session has not been verified by a second factor
    reaches only the second factor's page (to enrol, or to enter a code) and signing out. A session signed in
    through the identity provider is not asked: the provider asks for its own second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.BEARING_REQUIRE_2FA_FOR_ADMINS
            and request.user.is_authenticated
            and two_factor.required_for(request.user)
            and not provider.signed_in_through_provider(request)
            and not request.user.is_verified()  # type: ignore[union-attr,attr-defined]
            and request.path_info not in {reverse("identity:two-factor"), reverse("logout")}
            and not request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
        ):
            return HttpResponseRedirect(with_next(reverse("identity:two-factor"), request.get_full_path()))
        return self.get_response(request)
