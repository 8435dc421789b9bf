"""Watching, preferences, notifications and webhooks: the consumers of core's events outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# What can be watched (a key of an event's payload["about"], core.outbox.ABOUT).
WATCHABLE = ("initiative", "objective", "program", "meeting")
EXECUTIVE_DIGEST = "digest.executive"  # a Preference kind: "none" turns the weekly executive digest off


class Channel(models.TextChoices):
    """How a person hears of one kind of event."""

    IN_APP = "in_app", "In the app"
    EMAIL = "email", "In the app and by e-mail at once"
    DAILY = "daily", "In the app and in the daily digest"
    WEEKLY = "weekly", "In the app and in the weekly digest"
    NONE = "none", "Not at all"


class Watch(models.Model):
    """A person's choice about a record: watching it, or (watching=False) not, which also turns off the
    default watching of owners, sponsors, managers and committee members."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    subject_type = models.CharField(max_length=20, choices=[(w, w) for w in WATCHABLE])
    subject_id = models.BigIntegerField()
    watching = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject_type", "subject_id"], name="watch_once_per_record"
            )
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="watch_subject")]

    def __str__(self) -> str:
        return f"{self.user_id} {'watches' if self.watching else 'ignores'} {self.subject_type} {self.subject_id}"


class Preference(models.Model):
    """How a person hears of one kind of event (no row: in the app)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_APP)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} {self.channel}"


class Notification(models.Model):
    """What one person is told about one event. `title` and `url` are copied from the event (display
    strings, escaped where shown), so a notification outlives the purge of old events."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it went out by e-mail or digest."
    )

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="notification_once_per_event")
        ]
        indexes = [
            # the bell's unread count and the page's unread filter read this index alone
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["channel", "emailed_at"], name="notification_digest"),
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Given up"


class WebhookSubscription(models.Model):
    """An admin's webhook: the events of some kinds sent, signed with its secret, to a URL."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    kinds = models.JSONField(default=list, help_text="The event kinds sent.")
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_secret(self) -> str:
        return f"{self.secret[:4]}…{'•' * 8}" if self.secret else ""


class WebhookDelivery(models.Model):
    """One event to send to one subscription, with its body as first built (a retry sends the same bytes,
    freshly signed), its attempts and when the next is due."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True)
    last_response_ms = models.PositiveIntegerField(null=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.event_id} to {self.subscription_id}"


class WebhookAttempt(models.Model):
    """One request sent (or tried): the delivery log."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="attempts")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True)
    response_ms = models.PositiveIntegerField(null=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["subscription", "-id"], name="webhook_attempt_log")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
