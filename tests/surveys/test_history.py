"""Field-level history of a round's questions and leaders asked: who reworded, moved or removed a question, who
asked or revoked a leader; the facilitator reads it on the round's page. Answers and links keep no history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys import selectors, services
from surveys.models import Respondent
from tests.conftest import PERSONAS
from tests.surveys.conftest import ask, draft_round

pytestmark = pytest.mark.django_db

PMO = "Pat Office"


def POSITION(before: int) -> tuple[str, str, str]:  # noqa: N802  (reads as a constant in the expectations)
    """A move one place up: position `before` -> `before - 1`."""
    return ("position", str(before), str(before - 1))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rewording_moving_and_removing_a_question_are_recorded_field_by_field(pmo, program):
    survey = draft_round(pmo, program)
    goals, success = survey.questions.order_by("position")[:2]

    services.question_update(user=pmo, question_id=goals.pk, text="Our goals?", help_text="")
    services.question_move(user=pmo, question_id=success.pk, direction="up")
    services.question_delete(user=pmo, question_id=success.pk)

    trail = [
        (e.action, e.subject, e.who, [(c.field, c.old, c.new) for c in e.changes])
        for e in selectors.round_history(survey)
        if e.subject.startswith("Question") and e.action != "created"
    ]
    assert trail == [
        (
            "changed",
            "Question “Rate the importance of each of the program's objectives.”",
            PMO,
            [POSITION(4)],
        ),
        (
            "changed",
            "Question “Is there a shared vision across business and IT teams? De…”",
            PMO,
            [POSITION(3)],
        ),
        (
            "changed",
            "Question “How will change be managed and sustained after go-live, a…”",
            PMO,
            [POSITION(2)],
        ),
        ("changed", "Question “Our goals?”", PMO, [POSITION(1)]),
        ("deleted", "Question “What does success look like, and when?”", PMO, []),
        ("changed", "Question “Our goals?”", PMO, [("position", "0", "1")]),
        ("changed", "Question “What does success look like, and when?”", PMO, [POSITION(1)]),
        (
            "changed",
            "Question “Our goals?”",
            PMO,
            [
                ("text", "Describe the program's goals in your own words.", "Our goals?"),
                ("help text", "What should be different for the business when it is done?", "—"),
            ],
        ),
    ]
    # the default questions were created by the facilitator who drafted the round
    assert {e.who for e in selectors.round_history(survey) if e.action == "created"} == {PMO}


def test_revoking_a_leader_is_recorded_without_the_links_hash(pmo, program):
    survey = draft_round(pmo, program)
    (bea,) = ask(pmo, survey, [("business", "Bea Business")])

    services.respondent_revoke(user=pmo, respondent_id=bea.pk)

    fields = {f.name for f in Respondent.history.model._meta.get_fields()}
    assert "token_hash" not in fields
    entries = [e for e in selectors.round_history(survey) if e.subject.startswith("Respondent")]
    assert [(e.action, e.subject) for e in entries] == [
        ("changed", "Respondent “Bea Business”"),
        ("created", "Respondent “Bea Business”"),
    ]
    assert [c.field for c in entries[0].changes] == ["revoked at"]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_facilitators_read_the_history_on_the_round_page(persona, pmo, program):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business")])

    response = client_for(persona).get(reverse("surveys:round-detail", args=[survey.pk]))

    if persona.username == "outsider":
        assert response.status_code == 403
        return
    content = response.content.decode()
    shown = persona.username in {"pmo", "admin"}
    assert ('id="history"' in content) is shown
    assert ("<strong>Respondent “Bea Business”</strong> created by Pat Office" in content) is shown


def test_the_round_page_history_is_bounded(pmo, program, django_assert_max_num_queries):
    survey = draft_round(pmo, program)
    question = survey.questions.order_by("position")[0]
    for n in range(40):
        services.question_update(user=pmo, question_id=question.pk, text=f"Wording {n}")

    entries = selectors.round_history(survey)

    assert len(entries) == selectors.ROUND_HISTORY == 30
    assert entries[0].changes[0].new == "Wording 39"
