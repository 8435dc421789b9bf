"""Who may do what. Views and services both ask these functions; templates only use them to hide buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portfolio.models import Initiative

EXECUTIVE = "Executive"
PMO = "PMO"
MANAGER = "Initiative manager"
STEERING = "Steering member"
ADMIN = "Admin"
ALL_ROLES = (EXECUTIVE, PMO, MANAGER, STEERING, ADMIN)


def roles_of(user: Any) -> frozenset[str]:
    """The user's roles (group names), read once per request and cached on the user object (from its
    prefetched groups when a list of users was read with prefetch_related("groups"))."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_bearing_roles", None)
    if cached is None:
        prefetched = getattr(user, "_prefetched_objects_cache", {}).get("groups")
        names = (
            [group.name for group in prefetched]
            if prefetched is not None
            else user.groups.values_list("name", flat=True)
        )
        cached = frozenset(names) & frozenset(ALL_ROLES)
        if user.is_superuser:
            cached = cached | {ADMIN}
        user._bearing_roles = cached
    return cached


def can_view(user: Any) -> bool:
    return bool(roles_of(user))


def can_edit_portfolio(user: Any) -> bool:
    """PMO and admins edit everything: objectives, KPIs, readings, initiatives, contributions."""
    return bool(roles_of(user) & {PMO, ADMIN})


def can_edit_initiative(user: Any, initiative: Initiative) -> bool:
    """PMO edits any initiative; an initiative manager edits the ones they manage."""
    if can_edit_portfolio(user):
        return True
    return (
        MANAGER in roles_of(user) and initiative.manager_id is not None and initiative.manager_id == user.pk
    )


def can_record_decisions(user: Any) -> bool:
    return bool(roles_of(user) & {STEERING, PMO, ADMIN})


def can_administer(user: Any) -> bool:
    return ADMIN in roles_of(user)
