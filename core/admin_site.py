"""The Django admin's site, with a guard on what its views take from the URL.

Some admin views trust their input: django-simple-history's history pages look an object up with the raw id
from the path (`/admin/<app>/<model>/abc/history/` raised ValueError, a 500), and Django's change and delete
views take an empty `_to_field` for a field name (FieldDoesNotExist, a 500); a `_popup` posted to
simple_history's revert page made Django look for a named id it does not have (KeyError, a 500). Every
admin view goes through `AdminSite.admin_view`, so the guard sits there, for every model admin (ours,
auth's, any added later): an id that is not a valid key of the model is a 404, and those parameters are
dropped. A NUL character in the query (a changelist filter passes it to the database, which PostgreSQL refuses)
is a 400, and so is a date drill-down (`?<field>__year=`) that is not a small number (Django's date hierarchy
turns it into a date: OverflowError, a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, QueryDict

View = Callable[..., HttpResponse]
V = TypeVar("V", bound=Callable[..., Any])


def valid_key(field: models.Field[Any, Any], value: str) -> bool:
    """Whether `value`, as it came in the URL, is a possible value of the key `field`."""
    try:
        field.to_python(unquote(value))
    except ValidationError:
        return False
    return True


def _ids_in_url(
    model: type[models.Model], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[tuple[Any, str]]:
    """(key field, raw value) of each id in an admin URL: `object_id` in Django's views; in simple_history's
    revert page (`<id>/history/<history id>/`, positional) the object's id and its history record's."""
    ids: list[tuple[Any, str]] = []
    if "object_id" in kwargs:
        ids.append((model._meta.pk, kwargs["object_id"]))
    if args:
        ids.append((model._meta.pk, args[0]))
        history = getattr(model, "history", None)
        if len(args) > 1 and history is not None:
            ids.append((history.model._meta.pk, args[1]))
    return [(field, str(value)) for field, value in ids]


def _without(data: Any, names: list[str]) -> Any:
    """The request's GET or POST without `names`, immutable like the original."""
    if not any(name in data for name in names):
        return data
    copy: QueryDict = data.copy()
    for name in names:
        copy.pop(name, None)
    copy._mutable = False
    return copy


def _ignored(data: Any, positional: bool) -> list[str]:
    """Parameters the admin would stumble on: an empty `_to_field` (taken for a field name), and `_popup` on
    a page whose ids are positional (simple_history's revert page: Django's popup answer reads the id from
    named URL arguments)."""
    names = [TO_FIELD_VAR] if data.get(TO_FIELD_VAR, None) == "" else []
    return names + [IS_POPUP_VAR] if positional else names


class NulCharacterInQuery(SuspiciousOperation):
    """A query parameter holds a NUL character, which no admin filter accepts and PostgreSQL cannot compare."""


class BadDateDrillDown(SuspiciousOperation):
    """A date hierarchy's year, month or day in the query is not a number a date can hold."""


DATE_PARTS = ("__year", "__month", "__day")


def _bad_date_part(key: str, values: list[str]) -> bool:
    return key.endswith(DATE_PARTS) and any(not (value.isdigit() and len(value) <= 4) for value in values)


def guarded(view: View) -> View:
    """`view` behind the guard: invalid ids answer 404, an empty `_to_field` is dropped, a NUL character in the
    query answers 400."""
    owner = getattr(view, "__self__", None)
    model = owner.model if isinstance(owner, admin.ModelAdmin) else None

    @wraps(view)
    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if model is not None and not all(
            valid_key(field, value) for field, value in _ids_in_url(model, args, kwargs)
        ):
            raise Http404("No such record.")
        if any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise NulCharacterInQuery("A query parameter holds a NUL character.")
        if any(_bad_date_part(key, values) for key, values in request.GET.lists()):
            raise BadDateDrillDown("A date drill-down in the query is not a year, month or day.")
        request.GET = _without(request.GET, _ignored(request.GET, bool(args)))
        if request.method == "POST":
            request.POST = _without(request.POST, _ignored(request.POST, bool(args)))
        return view(request, *args, **kwargs)

    return inner


class BearingAdminSite(admin.AdminSite):
    def admin_view(self, view: V, cacheable: bool = False) -> V:
        return super().admin_view(cast(V, guarded(view)), cacheable)


class BearingAdminConfig(AdminConfig):
    """django.contrib.admin with Bearing's site as the default site (INSTALLED_APPS names this class)."""

    default_site = "core.admin_site.BearingAdminSite"
