"""Signing in with a password, then, for an account with a second factor, a code from its app (or one of its
recovery codes) before the session is signed in."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods

from core.formkit import BearingForm, SubmissionMixin
from core.redirects import safe_next
from core.sign_in import PASSWORDS_OFF, local_passwords_on, sign_in_choices
from identity import services, two_factor
from identity.models import EventKind
from identity.receivers import SIGN_IN_DETAIL_ATTRIBUTE
from identity.tokens import break_glass_tokens

User = get_user_model()

LOCAL_BACKEND = "identity.backends.LocalPasswordBackend"
PENDING = "identity_pending_sign_in"
# A password checked waits this long for its second factor, and allows this many wrong codes.
PENDING_SECONDS = 300
PENDING_TRIES = 5


class CodeForm(SubmissionMixin, BearingForm):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale_rows = []
        self.fields["code"].widget.attrs.update(
            autocomplete="one-time-code", inputmode="text", autofocus=True
        )


class SignInView(auth_views.LoginView):
    """Django's login page; an account with a second factor is asked for its code before it is signed in."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_choices()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not local_passwords_on():
            context = {**self.get_context_data(), "passwords_refused": True, "passwords_off": PASSWORDS_OFF}
            return render(request, self.template_name, context, status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not two_factor.enabled(user):
            return super().form_valid(form)
        return _ask_for_code(self.request, user, user.backend, self.get_redirect_url())


def _ask_for_code(request: HttpRequest, user: Any, backend: str, after: str) -> HttpResponse:
    """An account with a second factor: its code is asked for before the session is signed in."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": time.time(),
        "tries": 0,
        "next": after,
    }
    return HttpResponseRedirect(reverse("identity:sign-in-code"))


def _break_glass_account(uidb64: str, token: str) -> Any:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < pk < 2**63:
        return None
    user = User.objects.filter(pk=pk, is_active=True, is_superuser=True).first()
    return user if user is not None and break_glass_tokens.check_token(user, token) else None


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The break-glass command's one-time link: an administrator signs in without the identity provider (and
    without a password). Opening the link shows a button; only pressing it signs in, so a link checked by a
    mail or chat preview is not used up."""
    user = _break_glass_account(uidb64, token)
    if user is None:
        return render(request, "identity/break_glass.html", {"valid": False}, status=404)
    if request.method == "GET":
        return render(request, "identity/break_glass.html", {"valid": True, "account": user})
    after = resolve_url(settings.LOGIN_REDIRECT_URL)
    if two_factor.enabled(user):
        return _ask_for_code(request, user, LOCAL_BACKEND, after)
    setattr(request, SIGN_IN_DETAIL_ATTRIBUTE, "with a break-glass link")
    auth_login(request, user, backend=LOCAL_BACKEND)
    return HttpResponseRedirect(after)


def _pending(request: HttpRequest) -> tuple[dict[str, Any], Any] | None:
    state = request.session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(state.get("user") or 0), is_active=True).first()
    return (state, user) if user is not None else None


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code (used once)."""
    found = _pending(request)
    if found is None:
        request.session.pop(PENDING, None)
        messages.info(request, "Sign in again: the time to enter your code ran out.")
        return redirect("login")
    state, user = found
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        verified = two_factor.verify(user=user, code=form.cleaned_data["code"])
        if verified is not None:
            device, recovery = verified
            del request.session[PENDING]
            user.backend = state["backend"]
            user.otp_device = device  # django-otp marks the session verified as it signs in
            auth_login(request, user, backend=state["backend"])
            if recovery:
                left = two_factor.recovery_codes_left(user)
                services.event_record(
                    kind=EventKind.RECOVERY_CODE_USED,
                    subject=user,
                    actor=user,
                    request=request,
                    detail=f"{left} left",
                )
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Make new ones on your second factor page.",
                )
            return HttpResponseRedirect(
                safe_next(request, state.get("next"), resolve_url(settings.LOGIN_REDIRECT_URL))
            )
        services.event_record(
            kind=EventKind.SIGN_IN_FAILED,
            subject=user,
            username=user.get_username(),
            request=request,
            detail="wrong second-factor code",
        )
        state["tries"] += 1
        if state["tries"] >= PENDING_TRIES:
            del request.session[PENDING]
            messages.error(request, "Too many wrong codes: sign in again.")
            return redirect("login")
        request.session[PENDING] = state
        form.add_error("code", "That code is not right.")
    status = 422 if form.is_bound else 200
    return render(request, "identity/sign_in_code.html", {"form": form}, status=status)
