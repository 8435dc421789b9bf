"""The rule that gives Bearing roles from the identity provider's groups (BEARING_OIDC_ROLE_MAP), read and
checked when the settings load, so a mistyped rule stops the server with a message instead of signing
people in with the wrong roles."""

from __future__ import annotations

import json

from core import roles

# The rule's keys: short, lower-case names of Bearing's roles.
ROLE_KEYS = {
    "executive": roles.EXECUTIVE,
    "pmo": roles.PMO,
    "manager": roles.MANAGER,
    "steering": roles.STEERING,
    "admin": roles.ADMIN,
}


class RoleMapError(ValueError):
    pass


def parse_role_map(raw: str) -> dict[str, tuple[str, ...]]:
    """A JSON object from role keys to a group name or a list of group names, e.g.
    {"pmo": ["portfolio-office"], "executive": "exec-team"}; returned as Bearing role -> group names.
    Empty text is an empty rule (roles are then managed in Bearing, not by the directory)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise RoleMapError(f"is not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, dict):
        raise RoleMapError('must be a JSON object, e.g. {"pmo": ["portfolio-office"]}')
    rule: dict[str, tuple[str, ...]] = {}
    for key, groups in value.items():
        role = ROLE_KEYS.get(str(key).strip().lower())
        if role is None:
            raise RoleMapError(f"names an unknown role {key!r}; use {', '.join(ROLE_KEYS)}")
        names = [groups] if isinstance(groups, str) else groups
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(name, str) and name.strip() for name in names)
        ):
            raise RoleMapError(f"gives role {key!r} no group: use a group name or a list of group names")
        rule[role] = tuple(name.strip() for name in names)
    return rule


def roles_from_groups(rule: dict[str, tuple[str, ...]], groups: object) -> set[str]:
    """The Bearing roles that a member of `groups` (the provider's claim: a list, or one name) holds."""
    if isinstance(groups, str):
        held = {groups}
    elif isinstance(groups, list | tuple):
        held = {str(group) for group in groups}
    else:
        held = set()
    return {role for role, names in rule.items() if held.intersection(names)}
