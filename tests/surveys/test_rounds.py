"""Running a round: drafting with the default questions, asking leaders, opening with invitations, personal
links (expiring, revocable, one leader each), reminders, privacy until closing, and the stored analysis."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from core.errors import ApplicationError, NotAllowed
from surveys import services
from surveys.models import Answer, QuestionKind, Respondent, RoundStatus, SurveyRound
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, answer_all, ask, draft_round, links_sent


def test_a_new_round_has_the_articles_questions_and_the_programs_objectives(pmo, program):
    survey = draft_round(pmo, program)

    questions = list(survey.questions.order_by("position"))
    assert [q.text for q in questions] == [
        "Describe the program's goals in your own words.",
        "What does success look like, and when?",
        "How will change be managed and sustained after go-live, and who owns it?",
        "Is there a shared vision across business and IT teams? Describe it.",
        "Rate the importance of each of the program's objectives.",
    ]
    assert [q.kind for q in questions] == [QuestionKind.TEXT] * 4 + [QuestionKind.SCALE]
    assert [i.label for i in questions[4].items.all()] == ["O1 Grow online sales", "O2 Reduce delivery costs"]
    assert survey.status == RoundStatus.DRAFT
    assert survey.facilitator == pmo


@pytest.mark.parametrize("persona", ["executive", "manager", "steering_member", "outsider"], indirect=True)
def test_only_the_pmo_drafts_a_round(persona, program):
    with pytest.raises(NotAllowed):
        draft_round(persona, program)
    assert SurveyRound.objects.count() == 0


def test_opening_needs_both_sides(pmo, program):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business")])

    with pytest.raises(ApplicationError, match="one business leader and one IT leader"):
        services.round_open(user=pmo, round_id=survey.pk)

    survey.refresh_from_db()
    assert survey.status == RoundStatus.DRAFT
    assert mail.outbox == []


def test_opening_invites_each_leader_with_a_personal_link(pmo, program, django_capture_on_commit_callbacks):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])

    with django_capture_on_commit_callbacks(execute=True):
        invited = services.round_open(user=pmo, round_id=survey.pk)

    assert invited == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["bea@example.org", "ivan@example.org"]
    assert mail.outbox[0].subject == "Leadership alignment survey: Checkout alignment"
    tokens = links_sent()
    bea = services.respondent_for_token(tokens["bea@example.org"])
    assert bea.name == "Bea Business"
    # only the hash of the token is stored
    assert not Respondent.objects.filter(token_hash=tokens["bea@example.org"]).exists()


def test_a_link_expires_after_thirty_days(pmo, program, time_machine, django_capture_on_commit_callbacks):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    with django_capture_on_commit_callbacks(execute=True):
        services.round_open(user=pmo, round_id=survey.pk)
    token = links_sent()["bea@example.org"]

    time_machine.shift(datetime.timedelta(days=30, seconds=1))

    with pytest.raises(services.LinkRefused, match="expired"):
        services.respondent_for_token(token)


def test_a_revoked_link_no_longer_works(pmo, program, django_capture_on_commit_callbacks):
    survey = draft_round(pmo, program)
    bea, _ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    with django_capture_on_commit_callbacks(execute=True):
        services.round_open(user=pmo, round_id=survey.pk)
    token = links_sent()["bea@example.org"]

    services.respondent_revoke(user=pmo, respondent_id=bea.pk)

    with pytest.raises(services.LinkRefused):
        services.respondent_for_token(token)
    with pytest.raises(services.LinkRefused):
        answer_all(bea, ["Too late"])
    assert Answer.objects.count() == 0


def test_a_reminder_goes_only_to_those_who_have_not_answered_and_replaces_their_link(
    pmo, program, django_capture_on_commit_callbacks
):
    survey = draft_round(pmo, program)
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    with django_capture_on_commit_callbacks(execute=True):
        services.round_open(user=pmo, round_id=survey.pk)
    first = links_sent()["ivan@example.org"]
    answer_all(bea, [BUSINESS_GOALS])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reminded = services.round_remind(user=pmo, round_id=survey.pk)

    assert reminded == 1
    assert [m.to[0] for m in mail.outbox] == ["ivan@example.org"]
    assert mail.outbox[0].subject == "Reminder: Leadership alignment survey: Checkout alignment"
    assert services.respondent_for_token(links_sent()["ivan@example.org"]).pk == ivan.pk
    with pytest.raises(services.LinkRefused):
        services.respondent_for_token(first)


def test_every_text_question_must_be_answered_and_ratings_be_1_to_5(pmo, program):
    survey = draft_round(pmo, program)
    bea, _ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    questions = list(survey.questions.order_by("position"))
    item = questions[4].items.get(position=0)

    with pytest.raises(ApplicationError) as refused:
        services.respondent_answer(
            respondent_id=bea.pk, answers={questions[0].pk: "Goals"}, ratings={item.pk: 9}
        )

    assert refused.value.field_errors[f"q{questions[1].pk}"] == ["Please answer this question."]
    assert refused.value.field_errors[f"i{item.pk}"] == ["Choose a rating from 1 to 5."]
    assert Answer.objects.count() == 0
    bea.refresh_from_db()
    assert bea.answered_at is None


def test_closing_needs_an_answer_from_each_side(pmo, program):
    survey = draft_round(pmo, program)
    bea, _ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, [BUSINESS_GOALS])

    with pytest.raises(ApplicationError, match="must answer"):
        services.round_close(user=pmo, round_id=survey.pk)

    survey.refresh_from_db()
    assert (survey.status, survey.agreement, survey.results) == (RoundStatus.OPEN, None, {})


def test_closing_stores_the_analysis_and_stops_every_link(closed_round):
    results = closed_round.results

    assert closed_round.status == RoundStatus.CLOSED
    # the four text questions were all answered with the worked example's goals
    assert [q["similarity"] for q in results["questions"]] == [0.1559] * 4
    assert closed_round.agreement == 15.5929
    assert [r["label"] for r in results["respondents"]] == ["Business 1", "IT 1"]
    assert results["matrix"] == [[1.0, 0.1559], [0.1559, 1.0]]
    assert [(g["label"], g["business"], g["it"], g["gap"], g["is_gap"]) for g in results["scale"]] == [
        ("O1 Grow online sales", 5.0, 3.0, 2.0, True),
        ("O2 Reduce delivery costs", 5.0, 3.0, 2.0, True),
    ]
    assert [(o["label"], o["business"], o["it"]) for o in results["objectives"]] == [
        ("O1 Grow online sales", True, False),
        ("O2 Reduce delivery costs", True, False),
    ]
    assert [t[0] for t in results["vocabulary"]["shared"]] == ["costs", "cut"]
    assert results["vocabulary"]["shared"][0] == ["costs", "cost", 4, 4]
    assert not Respondent.objects.filter(round=closed_round).exclude(token_hash="").exists()


def test_a_round_with_names_labels_leaders_by_name(pmo, program):
    survey = draft_round(pmo, program, anonymised=False)
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, [BUSINESS_GOALS])
    answer_all(ivan, [IT_GOALS])

    closed = services.round_close(user=pmo, round_id=survey.pk)

    assert [r["label"] for r in closed.results["respondents"]] == ["Bea Business (Business)", "Ivan IT (IT)"]


def test_a_signed_in_leader_answers_as_themselves(pmo, executive, program):
    survey = draft_round(pmo, program)
    services.respondent_add(
        user=pmo,
        round_id=survey.pk,
        side="business",
        name="Erin Executive",
        email="erin@example.org",
        account=executive,
    )
    ask(pmo, survey, [("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)

    assert services.respondent_for_user(executive, survey.pk).email == "erin@example.org"
    with pytest.raises(NotAllowed):
        services.respondent_for_user(pmo, survey.pk)


def test_the_same_leader_is_asked_once_per_round(pmo, program):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business")])

    with pytest.raises(ApplicationError) as refused:
        services.respondent_add(
            user=pmo, round_id=survey.pk, side="it", name="Bea again", email="BEA@example.org"
        )

    assert refused.value.field_errors == {"email": ["This leader is already asked in this round."]}
    assert survey.respondents.count() == 1
