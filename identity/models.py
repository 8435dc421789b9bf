"""The audit log of sign-ins and account changes, and the signed-in sessions of each user."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EventKind(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", "Signed out everywhere"
    SESSION_EXPIRED = "session_expired", "Session timed out"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    INVITED = "invited", "Invited"
    CREATED_BY_PROVIDER = "created_by_provider", "Created at first sign-in"
    BREAK_GLASS_LINK = "break_glass_link", "Break-glass link issued"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    DEACTIVATED = "deactivated", "Deactivated"
    REACTIVATED = "reactivated", "Reactivated"
    TWO_FACTOR_ON = "two_factor_on", "Second factor turned on"
    TWO_FACTOR_OFF = "two_factor_off", "Second factor turned off"
    RECOVERY_CODES_NEW = "recovery_codes_new", "New recovery codes"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def newest_first(self) -> AuditEventQuerySet:
        return self.order_by("-at", "-pk")


class AuditEvent(models.Model):
    """One sign-in, failed sign-in, sign-out or account change: who it was about (`subject`, or for a
    failed sign-in only the `username` typed), who did it (`actor`: the subject themself for a sign-in, an
    admin for a role change), from which address, and what changed (`detail`). Never edited."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="account",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="done by",
    )
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "audit event"
        indexes = [
            models.Index(fields=["kind", "-at"], name="identity_event_kind_at"),
            models.Index(fields=["subject", "-at"], name="identity_event_subject_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username}"


class SignInSession(models.Model):
    """One signed-in browser of a user: `key` is its session's key in the session store, so that ending a
    user's sessions everywhere deletes them there. `last_seen_at` is refreshed at most once a minute."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "signed-in session"

    def __str__(self) -> str:
        return f"{self.user_id} since {self.started_at:%Y-%m-%d %H:%M}"
