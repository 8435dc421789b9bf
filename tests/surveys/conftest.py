"""Survey tests: a program with two objectives its initiative serves, a PMO facilitator, and helpers that build
a round, ask two business and one IT leader, and have them answer. The clock is set to 21 November 2026."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail

from surveys import services
from surveys.models import QuestionKind, Respondent, SurveyRound
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory, ProgramFactory

NOW = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
LINK = re.compile(r"/survey/answer/([A-Za-z0-9_-]+)/")

# The worked example of docs/surveys.md, "Worked example".
BUSINESS_GOALS = "Grow online sales and cut delivery costs before the holiday season."
IT_GOALS = "Replace the legacy order system and cut running costs."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> None:
    time_machine.move_to(NOW)


@pytest.fixture
def program(db: Any) -> Any:
    program = ProgramFactory(name="Checkout")
    initiative = InitiativeFactory(program=program, code="CHK-1")
    for code, title in [("O1", "Grow online sales"), ("O2", "Reduce delivery costs")]:
        ContributionFactory(initiative=initiative, objective=ObjectiveFactory(code=code, title=title))
    return program


def links_sent() -> dict[str, str]:
    """The personal link each invited e-mail address received last: address -> token."""
    tokens = {}
    for message in mail.outbox:
        found = LINK.search(str(message.body))
        if found:
            tokens[message.to[0]] = found.group(1)
    return tokens


def draft_round(
    pmo: Any, program: Any, *, anonymised: bool = True, title: str = "Checkout alignment"
) -> SurveyRound:
    return services.round_create(
        user=pmo, data={"title": title, "program": program, "anonymised": anonymised}
    )


def ask(pmo: Any, survey: SurveyRound, people: list[tuple[str, str]]) -> list[Respondent]:
    """Ask (side, name) leaders; e-mail addresses are made from their names."""
    return [
        services.respondent_add(
            user=pmo,
            round_id=survey.pk,
            side=side,
            name=name,
            email=f"{re.sub('[^a-z]', '', name.split()[-1 if name.startswith(('<', '=')) else 0].lower())}@example.org",
        )
        for side, name in people
    ]


def answer_all(respondent: Respondent, texts: list[str], rating: int = 3) -> None:
    """Answer every text question with the texts in turn (the last one repeated) and every item with `rating`."""
    questions = list(respondent.round.questions.prefetch_related("items").order_by("position", "pk"))
    answers, ratings = {}, {}
    text_questions = [q for q in questions if q.kind == QuestionKind.TEXT]
    for i, question in enumerate(text_questions):
        answers[question.pk] = texts[min(i, len(texts) - 1)]
    for question in questions:
        for item in question.items.all():
            ratings[item.pk] = rating
    services.respondent_answer(respondent_id=respondent.pk, answers=answers, ratings=ratings)


@pytest.fixture
def closed_round(pmo: Any, program: Any) -> SurveyRound:
    """A closed round of the Checkout program: Bea (business) and Ivan (IT) answered every question with the
    worked example's goals; Bob (business) was asked and never answered."""
    survey = draft_round(pmo, program)
    bea, _bob, ivan = ask(
        pmo, survey, [("business", "Bea Business"), ("business", "Bob Busy"), ("it", "Ivan IT")]
    )
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, [BUSINESS_GOALS], rating=5)
    answer_all(ivan, [IT_GOALS], rating=3)
    return services.round_close(user=pmo, round_id=survey.pk)


def closed_with(pmo: Any, program: Any, business: str, it: str, title: str) -> SurveyRound:
    """A closed round of the program in which one business and one IT leader answered every text question
    with `business` and `it`."""
    survey = draft_round(pmo, program, title=title)
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, [business])
    answer_all(ivan, [it])
    return services.round_close(user=pmo, round_id=survey.pk)
