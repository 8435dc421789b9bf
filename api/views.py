"""The API tokens page: each person creates, sees once, and revokes their own personal API tokens."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken, TokenScope
from api.tokens import MAX_ACTIVE, token_create
from api.tokens import token_revoke as revoke
from core.errors import ApplicationError
from core.formkit import BearingForm
from core.views import HtmxHttpRequest, posted, render_page, viewer_required

EXPIRIES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]
LISTED = 50


class TokenForm(BearingForm):
    name = forms.CharField(
        max_length=80,
        strip=True,
        help_text="What it is for, so you know which to revoke: “Power BI refresh”.",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="A read-only token can read everything your role may read, and change nothing.",
    )
    expires = forms.ChoiceField(label="Expires", choices=EXPIRIES, initial="90", required=False)


@viewer_required
@require_http_methods(["GET", "POST"])
def token_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's tokens (newest first) and the form that creates one; a new token is shown once, here."""
    form = TokenForm(posted(request))
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                token, created = token_create(
                    user=request.user,
                    name=data["name"],
                    scope=data["scope"],
                    expires_in_days=int(data["expires"]) if data["expires"] else None,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
                status = 422
            else:
                form = TokenForm()
                status = 201
        else:
            status = 422
    tokens = list(ApiToken.objects.filter(user_id=cast(int, request.user.pk))[: LISTED + 1])
    context = {
        "form": form,
        "created": created,
        "tokens": tokens[:LISTED],
        "more": len(tokens) > LISTED,
        "max_active": MAX_ACTIVE,
        "api_root": request.build_absolute_uri(reverse("api-v1:openapi-json")),
    }
    return render_page(request, "api/token_list.html", context, status=status)


@viewer_required
@require_POST
def token_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    try:
        token = revoke(user=request.user, token_id=pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api:token-list")
