"""Bearing's user admin (core.admin), with what it changes about an account written to the audit log as the account pages
write it: roles (old -> new), deactivation (every session ended) and reactivation, by the admin who saved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from core.admin import BearingUserAdmin
from identity import services
from identity.models import EventKind

User = get_user_model()
BEFORE = "_identity_account_before"  # the request attribute holding the account as it was before the save


class AuditedUserAdmin(BearingUserAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change and obj.pk else None
        before = (services.roles_held(stored), stored.is_active) if stored is not None else (set(), True)
        setattr(request, BEFORE, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The roles are saved here (the groups are a many-to-many field): the account is compared with
        what it was once they are."""
        super().save_related(request, form, formsets, change)
        user = form.instance
        roles_before, active_before = getattr(request, BEFORE, (set(), True))
        roles_after = services.roles_held(user)
        if roles_after != roles_before:
            services.event_record(
                kind=EventKind.ROLES_CHANGED,
                subject=user,
                actor=request.user,
                request=request,
                detail=f"{services.role_list(roles_before)} → {services.role_list(roles_after)} (in the admin)",
            )
        if active_before and not user.is_active:
            services.account_sessions_ended_on_deactivation(
                user=user, actor=request.user, request=request, where=" (in the admin)"
            )
        elif not active_before and user.is_active:
            services.event_record(
                kind=EventKind.REACTIVATED,
                subject=user,
                actor=request.user,
                request=request,
                detail="In the admin",
            )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
