"""Digests by e-mail, in HTML and text: the personal daily (and weekly) digest of the notifications a person
chose to receive that way, and the weekly executive digest of the portfolio.

The executive digest reads what the engine stored: the portfolio's alignment index on the day and seven days
before (its change), the red signals first raised in the week, the decisions recorded in it (checkpoint
reviews and portfolio decisions), the milestones that slipped (a forecast past the baseline, set during
the week, not yet delivered), and the benefits of live initiatives against their plans on the day (realised
and expected to date, the variance, the plans furthest behind). Each list shows at most DIGEST_ROWS rows and
says how many there are.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment.benefits import Group
from alignment.models import ALL_SCOPE, PortfolioIndex, Severity, Signal
from core import outbox, roles
from core.stages import Stage
from events.models import EXECUTIVE_DIGEST, Channel, Notification, Preference
from events.notify import absolute
from portfolio.benefit_selectors import money_plans, plan_results
from portfolio.models import Milestone
from steering.models import CheckpointReview, PortfolioDecision

DIGEST_ROWS = 20


def send_mail(user: Any, subject: str, template: str, context: dict[str, Any], connection: Any) -> None:
    context = {**context, "user": user, "preferences": absolute(reverse("events:preferences"))}
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"events/email/{template}.txt", context),
        to=[user.email],
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"events/email/{template}.html", context), "text/html")
    message.send()


def personal_digests(channel: str, *, now: datetime.datetime | None = None) -> int:
    """Send each person one e-mail of their notifications waiting for this digest ("daily" or "weekly"), and
    mark them sent (in the same transaction per person: a failure leaves them for the next run). Returns
    how many e-mails went out."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(channel=channel, emailed_at__isnull=True).order_by("user_id", "pk")
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in waiting[:20000]:
        by_user[row.user_id].append(row)
    users = get_user_model().objects.in_bulk(list(by_user))
    connection = get_connection()
    sent = 0
    words = "daily" if channel == Channel.DAILY else "weekly"
    for user_id, rows in by_user.items():
        user = users.get(user_id)
        with transaction.atomic():
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(emailed_at=now)
            if user is None or not user.is_active or not user.email:
                continue
            items = [
                {"kind": outbox.KINDS.get(r.kind, r.kind), "title": r.title, "link": absolute(r.url)}
                for r in rows[:100]
            ]
            send_mail(
                user,
                f"Bearing: your {words} digest ({len(rows)} notification{'s' if len(rows) != 1 else ''})",
                "digest",
                {"items": items, "count": len(rows), "more": max(0, len(rows) - len(items)), "words": words},
                connection,
            )
        sent += 1
    return sent


@dataclass
class BenefitsAgainstPlan:
    """The money benefit plans of live initiatives as of a day: their sums (realised and expected to date,
    variance) and the plans behind, the furthest first."""

    total: Group
    behind: list[dict[str, Any]] = field(default_factory=list)
    behind_count: int = 0


def benefits_against_plan(as_of: datetime.date) -> BenefitsAgainstPlan:
    """Every money benefit plan of a live initiative, as of a day, by portfolio.benefits' rules (through
    plan_results, summed as the benefits view sums them); the plans realised below what they expected to
    date, the largest shortfall first. Two to four queries whatever the number of plans."""
    plans = list(
        money_plans()
        .filter(line__case__initiative__stage=Stage.LIVE)
        .order_by("line__case__initiative__code", "line__position")
    )
    results = plan_results(plans, as_of).values()
    total = Group("Live initiatives")
    for result in results:
        total.add(result.realisation)
    behind = sorted(
        (r for r in results if r.realisation.variance < 0),
        key=lambda r: (r.realisation.variance, r.plan.line.case.initiative.code, r.plan.line.position),
    )
    rows = []
    for result in behind[:DIGEST_ROWS]:
        initiative, figures = result.plan.line.case.initiative, result.realisation
        fraction = figures.variance_fraction
        rows.append(
            {
                "initiative": f"{initiative.code} {initiative.title}",
                "line": result.plan.line.label,
                "realised": figures.realised_to_date,
                "expected": figures.expected_to_date,
                "variance": figures.variance,
                "variance_pct": None if fraction is None else fraction * 100,
                "link": absolute(reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#benefits"),
            }
        )
    return BenefitsAgainstPlan(total, rows, len(behind))


@dataclass
class ExecutiveDigest:
    start: datetime.date
    end: datetime.date
    index: float | None
    index_before: float | None
    red_signals: list[dict[str, Any]] = field(default_factory=list)
    red_count: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    decision_count: int = 0
    slipped: list[dict[str, Any]] = field(default_factory=list)
    slipped_count: int = 0
    benefits: BenefitsAgainstPlan = field(
        default_factory=lambda: BenefitsAgainstPlan(Group("Live initiatives"))
    )

    @property
    def change(self) -> float | None:
        if self.index is None or self.index_before is None:
            return None
        return round(self.index - self.index_before, 1)


def _index_on(day: datetime.date) -> float | None:
    """The portfolio's alignment index stored on the latest day up to `day`."""
    value = (
        PortfolioIndex.objects.filter(scope=ALL_SCOPE, date__lte=day)
        .order_by("-date")
        .values_list("alignment_index", flat=True)
        .first()
    )
    return None if value is None else round(value, 1)


def executive_digest(today: datetime.date) -> ExecutiveDigest:
    """The week up to `today` (the seven days before it, today excluded) as the executive digest shows it.
    A fixed number of queries."""
    start = today - datetime.timedelta(days=7)
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    digest = ExecutiveDigest(start, today, _index_on(today), _index_on(start))
    reds = Signal.objects.filter(severity=Severity.RED, first_seen__gte=since, first_seen__lt=until)
    digest.red_count = reds.count()
    digest.red_signals = [
        {
            "message": s.message,
            "link": absolute(reverse("portfolio:initiative-detail", args=[s.initiative_id]))
            if s.initiative_id
            else "",
        }
        for s in reds.order_by("-first_seen", "key")[:DIGEST_ROWS]
    ]
    reviews = CheckpointReview.objects.filter(held_on__gte=start, held_on__lt=today).select_related(
        "initiative"
    )
    decisions = PortfolioDecision.objects.filter(decided_at__gte=since, decided_at__lt=until)
    digest.decision_count = reviews.count() + decisions.count()
    rows = [
        (r.held_on, f"{r.initiative.code} {r.initiative.title}: {r.get_decision_display()}")
        for r in reviews.order_by("-held_on", "-pk")[:DIGEST_ROWS]
    ] + [
        (
            timezone.localtime(d.decided_at).date(),
            f"{d.get_kind_display()}: {d.subject} ({d.get_outcome_display()})",
        )
        for d in decisions.order_by("-decided_at", "-pk")[:DIGEST_ROWS]
    ]
    digest.decisions = [
        {"day": day, "text": text}
        for day, text in sorted(rows, key=lambda r: r[0], reverse=True)[:DIGEST_ROWS]
    ]
    slipped = Milestone.objects.filter(
        actual_date__isnull=True,
        forecast_date__gt=F("baseline_date"),
        forecast_updated_at__gte=since,
        forecast_updated_at__lt=until,
    ).select_related("initiative")
    digest.slipped_count = slipped.count()
    digest.slipped = [
        {
            "initiative": f"{m.initiative.code} {m.initiative.title}",
            "name": m.name,
            "baseline": m.baseline_date,
            "forecast": m.forecast_date,
            "days": (m.forecast_date - m.baseline_date).days if m.forecast_date else 0,
        }
        for m in slipped.order_by("-forecast_updated_at", "pk")[:DIGEST_ROWS]
    ]
    digest.benefits = benefits_against_plan(today)
    return digest


def executive_recipients() -> list[Any]:
    """Active executives with an e-mail address who did not turn the digest off."""
    off = set(
        Preference.objects.filter(kind=EXECUTIVE_DIGEST, channel=Channel.NONE).values_list(
            "user_id", flat=True
        )
    )
    people = get_user_model().objects.filter(is_active=True, groups__name=roles.EXECUTIVE).exclude(email="")
    return [u for u in people.distinct().order_by("pk") if u.pk not in off]


def executive_digests(*, today: datetime.date | None = None) -> int:
    """Send the weekly executive digest to every executive; returns how many e-mails went out."""
    today = today or timezone.localdate()
    digest = executive_digest(today)
    connection = get_connection()
    people = executive_recipients()
    for user in people:
        send_mail(
            user,
            f"Bearing: the portfolio's week to {today.isoformat()}",
            "executive",
            {"digest": digest, "dashboard": absolute(reverse("alignment:dashboard"))},
            connection,
        )
    return len(people)
