"""The demo's leadership alignment surveys: Digital Commerce has a kick-off round closed a quarter ago and a
closed round whose business and IT leaders half agree (they share "checkout", "customers", "conversion" but not
what success is or who owns the change),
and Supply Chain has a round open for answers, one leader having answered. Loaded once: nothing is added when a
round already exists, so seed_demo stays idempotent."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.test.utils import override_settings
from django.utils import timezone

from core import changes
from portfolio.models import Program
from surveys import services
from surveys.models import QuestionKind, Respondent, SurveyRound

BUSINESS, IT = "business", "it"
DIGITAL_ANSWERS: dict[str, tuple[str, list[str], int]] = {
    "Grace Holt": (
        BUSINESS,
        [
            "Grow online sales by making checkout effortless for customers on every device, and lift conversion "
            "before the holiday season.",
            "Success is conversion up two points and basket size growing quarter after quarter, not just a "
            "go-live: we measure benefits for two years.",
            "Our product owners own the checkout after go-live; the e-commerce team manages change with "
            "customer feedback every sprint.",
            "Partly: business and IT agree on customers and checkout, less on who owns the roadmap.",
        ],
        5,
    ),
    "Marcus Webb": (
        BUSINESS,
        [
            "More customers completing checkout, fewer abandoned baskets, and higher online sales.",
            "Benefits over quarters: conversion, average order value and customer satisfaction scores.",
            "The e-commerce team owns it, with marketing; training for store staff on click-and-collect.",
            "We share the goal of serving customers online; the priorities differ.",
        ],
        4,
    ),
    "Priya Nair": (
        IT,
        [
            "Replace the legacy checkout with the headless commerce platform so customers get a faster checkout "
            "and we release weekly.",
            "Success is go-live of the new platform on time, page speed under two seconds, and the old system "
            "switched off.",
            "The platform team supports it after go-live; changes go through the release board and the run "
            "book.",
            "Yes on the platform and customers; the business expects custom features the platform avoids.",
        ],
        3,
    ),
    "Tom Becker": (
        IT,
        [
            "Move checkout to the cloud platform, cut integration costs and retire the legacy servers.",
            "A stable go-live, fewer incidents and lower hosting costs in the first year.",
            "IT operations own the sustainment model; product owners raise change requests.",
            "A shared vision on customers and conversion, not yet on the sustainment model.",
        ],
        2,
    ),
}
SUPPLY_LEADERS = [
    (BUSINESS, "Hannah Fischer", "hannah.fischer@northwind.example"),
    (IT, "Olu Adeyemi", "olu.adeyemi@northwind.example"),
    (IT, "Sara Lind", "sara.lind@northwind.example"),
]


def _answer(respondent: Respondent, texts: list[str], rating: int) -> None:
    questions = list(respondent.round.questions.prefetch_related("items").order_by("position", "pk"))
    text_questions = [q for q in questions if q.kind == QuestionKind.TEXT]
    answers = {q.pk: texts[min(i, len(texts) - 1)] for i, q in enumerate(text_questions)}
    ratings = {item.pk: rating for q in questions for item in q.items.all()}
    services.respondent_answer(respondent_id=respondent.pk, answers=answers, ratings=ratings)


# The kick-off round a quarter before: two leaders, further apart than they are now.
KICK_OFF_ANSWERS = {
    "Grace Holt": (BUSINESS, ["Grow online sales and conversion before the holiday season."], 4),
    "Priya Nair": (
        IT,
        ["Replace the legacy platform so online sales grow, and release weekly on the cloud."],
        3,
    ),
}
KICK_OFF_DAYS_BEFORE = 91


def _kick_off(facilitator: User, program: Program) -> SurveyRound:
    """Digital Commerce's first round, closed a quarter ago (its closing moved back after the fact: the demo's
    history), so the program's dashboard and the workshop show a trend."""
    kick_off = services.round_create(
        user=facilitator, data={"title": "Digital Commerce: kick-off", "program": program}
    )
    asked = {
        name: services.respondent_add(
            user=facilitator,
            round_id=kick_off.pk,
            side=side,
            name=name,
            email=name.lower().replace(" ", ".") + "@northwind.example",
        )
        for name, (side, _texts, _rating) in KICK_OFF_ANSWERS.items()
    }
    services.round_open(user=facilitator, round_id=kick_off.pk)
    for name, (_side, texts, rating) in KICK_OFF_ANSWERS.items():
        _answer(asked[name], texts, rating)
    closed = services.round_close(user=facilitator, round_id=kick_off.pk)
    closed_at = closed.closed_at or timezone.now()  # a closed round has both moments
    opened_at = closed.opened_at or closed_at
    moved = {
        "closed_at": closed_at - datetime.timedelta(days=KICK_OFF_DAYS_BEFORE),
        "opened_at": opened_at - datetime.timedelta(days=KICK_OFF_DAYS_BEFORE + 14),
    }
    SurveyRound.objects.filter(pk=closed.pk).update(**moved)
    return closed


def build_surveys(users: dict[str, User] | None = None) -> int:
    """Load the demo's three survey rounds unless a round exists; returns how many rounds were added."""
    if SurveyRound.objects.exists():
        return 0
    facilitator = (users or {}).get("pmo") or User.objects.get(username="pmo")
    programs = {p.name: p for p in Program.objects.filter(name__in=["Digital Commerce", "Supply Chain"])}
    if len(programs) < 2:
        return 0
    # the invitations of demo leaders are not sent anywhere; seed_demo computes the scores and signals once the
    # rounds are in, not after each round closes
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        changes.paused(),
    ):
        earlier = _kick_off(facilitator, programs["Digital Commerce"])
        digital = services.round_create(
            user=facilitator,
            data={"title": "Digital Commerce: leadership alignment", "program": programs["Digital Commerce"]},
        )
        asked: dict[str, Respondent] = {}
        for name, (side, _texts, _rating) in DIGITAL_ANSWERS.items():
            email = name.lower().replace(" ", ".") + "@northwind.example"
            asked[name] = services.respondent_add(
                user=facilitator, round_id=digital.pk, side=side, name=name, email=email
            )
        services.round_open(user=facilitator, round_id=digital.pk)
        for name, (_side, texts, rating) in DIGITAL_ANSWERS.items():
            _answer(asked[name], texts, rating)
        services.round_close(user=facilitator, round_id=digital.pk)

        supply = services.round_create(
            user=facilitator,
            data={"title": "Supply Chain: leadership alignment", "program": programs["Supply Chain"]},
        )
        leaders: list[Any] = [
            services.respondent_add(user=facilitator, round_id=supply.pk, side=side, name=name, email=email)
            for side, name, email in SUPPLY_LEADERS
        ]
        services.round_open(user=facilitator, round_id=supply.pk)
        _answer(
            leaders[0],
            [
                "Keep shelves full with fewer stock-outs and less waste, using better demand forecasts.",
                "Availability above 97% within a year, and waste down a third over two years.",
                "Category managers own the forecasts after go-live; supply planners manage the change.",
                "Not yet: IT talks about platforms, we talk about availability.",
            ],
            4,
        )
    return 3 if earlier else 2
