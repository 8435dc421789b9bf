from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.users import records_naming

User = get_user_model()

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
READ_ONLY = "Entered records are changed in Bearing itself, where versions, history and scores follow."


class VersionedAdmin(SimpleHistoryAdmin):
    """View only: no add, change, delete or revert, whatever the user's permissions."""

    readonly_fields: tuple[str, ...] = ("edit_in_bearing", "version", "created_at", "updated_at")

    def app_url(self, obj: Any) -> str:
        """Where the record is edited in Bearing."""
        raise NotImplementedError

    def view_on_site(self, obj: Any) -> str:
        return self.app_url(obj)

    @admin.display(description="Edit in Bearing")
    def edit_in_bearing(self, obj: Any) -> str:
        return format_html('<a href="{}">Open the page where this is edited</a>', self.app_url(obj))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = [f for f in super().get_fields(request, obj) if f != "edit_in_bearing"]
        return ["edit_in_bearing", *fields] if obj is not None else fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # The permissions above hide every button; these refuse a hand-made request all the same.
    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        raise PermissionDenied(READ_ONLY)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseFormSet, change: bool) -> None:
        raise PermissionDenied(READ_ONLY)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise PermissionDenied(READ_ONLY)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        raise PermissionDenied(READ_ONLY)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # django-simple-history saves a posted history form (a "revert") without asking for the change
        # permission: only reading an old version is allowed here.
        if request.method not in SAFE_METHODS:
            raise PermissionDenied(READ_ONLY)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class BearingUserAdmin(UserAdmin):
    """User management, refusing to delete anyone the portfolio names (deactivate them instead)."""

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        named: list[Any] = []
        for user in objs:
            lines = records_naming(user)
            if lines:
                named.append(f"{user.get_username()} is named on:")
                named.append(lines)
        if named:
            messages.error(
                request,
                "A person named on portfolio records or in their history cannot be deleted: Bearing keeps "
                "who did what. Deactivate the account instead (open it and untick “Active”): they can "
                "no longer log in, and every record still says who they were.",
            )
        return deleted, counts, perms_needed, [*protected, *named]


admin.site.unregister(User)
admin.site.register(User, BearingUserAdmin)
