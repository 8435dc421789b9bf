"""The provider's claims (a groups claim from its Django groups) and the tests' seeding endpoint."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator

CLIENT_ID = "bearing"


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }


@csrf_exempt
@require_POST
def seed(request: HttpRequest) -> HttpResponse:
    """Set up what a test needs: people of the directory with their groups, and the client's secret,
    redirect addresses and addresses to come back to after logout. Only with the token the tests started the provider with."""
    if request.headers.get("X-Seed-Token") != getattr(settings, "PROVIDER_SEED_TOKEN", None):
        return HttpResponse(status=403)
    data = json.loads(request.body)
    for person in data.get("users", []):
        user, _ = User.objects.get_or_create(username=person["username"])
        user.set_password(person["password"])
        user.email = person.get("email", "")
        user.first_name = person.get("first_name", "")
        user.last_name = person.get("last_name", "")
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in person.get("groups", [])])
    if "client_secret" in data:
        Application = get_application_model()
        app = Application.objects.filter(client_id=CLIENT_ID).first() or Application(
            client_id=CLIENT_ID,
            name="Bearing",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
        app.client_secret = data["client_secret"]
        app.redirect_uris = " ".join(data.get("redirect_uris", []))
        app.post_logout_redirect_uris = " ".join(data.get("post_logout_redirect_uris", []))
        app.save()
    return JsonResponse({"ok": True})
