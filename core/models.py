from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# Fields that change on every save and would only add noise to the audit trail.
HISTORY_EXCLUDED = ["version", "created_at", "updated_at"]

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def one_to_five() -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(1), MaxValueValidator(5)]


class RAG(models.TextChoices):
    """Red, amber, green: how a checkpoint review rates a dimension (the engine reads it too)."""

    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class VersionedModel(models.Model):
    """An entered record that carries an edit version, so a stale save can be refused (no lost updates)."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def unique_error_message(self, model_class: type[Any], unique_check: Any) -> ValidationError:
        """Say which record already uses a unique value ("This code is already used by initiative “ECOM-1
        Checkout rebuild”."), for the form's check, the service's and the one after a race alike."""
        error = super().unique_error_message(model_class, unique_check)
        if len(unique_check) != 1:
            return error
        field = cast("models.Field[Any, Any]", model_class._meta.get_field(unique_check[0]))
        value = getattr(self, field.attname)
        other = model_class._default_manager.filter(**{field.attname: value}).exclude(pk=self.pk).first()
        if other is None:
            return error
        return ValidationError(
            "This %(field)s is already used by %(model)s “%(other)s”.",
            code="unique",
            params={
                **(error.params or {}),
                "field": field.verbose_name,
                "model": model_class._meta.verbose_name,
                "other": other,
            },
        )


# What each kind of job is called on pages. Each app names its own kinds (core.jobs.register_kind) and core
# never knows them: "full_recompute" is the alignment app's, "board_pack" steering's.
JOB_KIND_LABELS: dict[str, str] = {}


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_JOB_STATUSES = [JobStatus.QUEUED, JobStatus.RUNNING]


class Job(models.Model):
    """A background job and its progress, so the UI can show it whichever process runs it."""

    kind = models.CharField(max_length=20, help_text="Which kind of job, named by the app that runs it.")
    target = models.CharField(
        max_length=60,
        blank=True,
        default="",
        help_text="What the job works on, e.g. meeting:12 (empty: everything).",
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    heartbeat_at = models.DateTimeField(null=True, help_text="Last sign of life from whoever runs the job.")
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # two starts at the same moment must not both queue a job of the same kind
            models.UniqueConstraint(
                fields=["kind", "target"],
                condition=models.Q(status__in=ACTIVE_JOB_STATUSES),
                name="job_one_active_per_kind_and_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.pk} ({self.status})"

    @property
    def kind_label(self) -> str:
        return JOB_KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES

    @property
    def last_sign(self) -> datetime.datetime:
        """Its last sign of life: the last heartbeat, else when it started, else when it was queued."""
        return self.heartbeat_at or self.started_at or self.created_at

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "kind": self.kind, "status": self.status, "progress": self.progress}


class ScheduledRun(models.Model):
    """When a scheduled job (an entry of the beat schedule) last ran in the process that runs the schedule
    itself (the embedded default), and how it ended."""

    RUNNING, DONE, FAILED = "running", "done", "failed"

    name = models.CharField(max_length=60, unique=True)
    last_run_at = models.DateTimeField()
    status = models.CharField(max_length=10, blank=True, default="")
    message = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M}"


class ImportMapping(models.Model):
    """A named, reusable mapping of a file's column names to the fields of one kind of import."""

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=30, help_text="Which kind of import (initiatives, objectives, ...).")
    mapping = models.JSONField(default=dict, help_text="Column name in the file -> field name (or empty).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="import_mapping_name_per_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ImportRun(models.Model):
    """One uploaded file on its way in: the file as uploaded, its column mapping, and what its dry run and
    its import found (counts and the problems by row). Kept so the dry run and the import read the same
    bytes, whichever process runs them."""

    kind = models.CharField(max_length=30)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    report = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.filename}"


class OutboxEvent(models.Model):
    """A domain event, written by a service in the same transaction as the change it reports (the outbox):
    it commits or rolls back with the change. Consumers (in-app notifications, webhooks) read it through
    their own EventDelivery rows. The payload holds ids and display strings only, never a secret."""

    kind = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=20)
    subject_id = models.BigIntegerField(null=True)
    payload = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_event_created"),
            models.Index(fields=["subject_type", "subject_id", "kind"], name="outbox_event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EventDelivery(models.Model):
    """That a consumer processed an event: written in the same transaction as the consumer's own rows, so an
    event is processed once per consumer (the unique constraint is the idempotency key)."""

    consumer = models.CharField(max_length=30)
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    processed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="event_delivery_once_per_consumer")
        ]

    def __str__(self) -> str:
        return f"{self.consumer}: event {self.event_id}"
