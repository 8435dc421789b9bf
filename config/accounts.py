"""Accounts: Django's password reset (by e-mail) and password change, in Bearing's forms and pages.

Every user may change their password and reset a forgotten one; the reset link is built from
BEARING_BASE_URL, never from the Host header of the request that asked for it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.formkit import BearingFormMixin
from core.sign_in import PASSWORDS_OFF, local_passwords_on


class _PasswordsOn:
    """With local passwords switched off, there is no password to change or reset: back to the login page."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not local_passwords_on():
            messages.info(request, PASSWORDS_OFF)
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class _Styled(BearingFormMixin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()


class PasswordResetForm(_Styled, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(_Styled, auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(_Styled, auth_forms.PasswordChangeForm):
    pass


class PasswordResetView(_PasswordsOn, auth_views.PasswordResetView):
    """Ask for a reset link by e-mail; a known and an unknown address get the same answer."""

    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"base_url": settings.BEARING_BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(_PasswordsOn, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "registration/password_reset_confirm.html"


class PasswordChangeView(_PasswordsOn, auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
