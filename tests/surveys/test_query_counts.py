"""The survey's pages read a fixed number of queries whatever the number of rounds, leaders and changes: the
round page (with its history), the workshop (with the agreement trend), the trend CSV and the program's
dashboard computed under a filter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import services
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, ask, closed_with, draft_round

pytestmark = pytest.mark.django_db


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_survey_pages_read_as_many_queries_with_more_rounds_leaders_and_changes(pmo, program):
    client = Client()
    client.force_login(pmo)
    draft = draft_round(pmo, program, title="Draft")
    counts = []
    for size in (1, 6):
        # more closed rounds (the trend), more leaders asked and more rewordings (the history)
        for n in range(size):
            closed_with(pmo, program, BUSINESS_GOALS, IT_GOALS, f"Round {size}-{n}")
        names = ["Ann"] if size == 1 else ["Ben", "Cal", "Dee", "Eve", "Fay", "Gus"]
        ask(pmo, draft, [("business", f"{name} Leader") for name in names])
        question = draft.questions.order_by("position")[0]
        for n in range(size):
            services.question_update(user=pmo, question_id=question.pk, text=f"Goals {size} {n}")
        latest = draft.__class__.objects.closed().order_by("-closed_at", "-pk")[0]
        counts.append(
            (
                queries(client, reverse("surveys:round-detail", args=[draft.pk])),
                queries(client, reverse("surveys:workshop", args=[latest.pk])),
                queries(client, reverse("surveys:trend-csv", args=[latest.pk])),
                queries(client, f"{reverse('alignment:dashboard')}?program={program.pk}&category=grow"),
            )
        )
    assert counts[0] == counts[1], counts
