from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core import roles
from core.sign_in import local_passwords_on


def bearing(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "user_roles": sorted(roles.roles_of(user)),
        "can_edit_portfolio": roles.can_edit_portfolio(user),
        "can_administer": roles.can_administer(user),
        "local_passwords": local_passwords_on(),
    }
