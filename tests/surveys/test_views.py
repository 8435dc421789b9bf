"""Survey pages: who may do what (every role), htmx with and without HX-Request, the personal-link answer page,
refused requests that change nothing, malformed input that never gives a 500, escaping and inert CSV cells."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys import services
from surveys.models import Answer, Question, RoundStatus, SurveyRound
from tests.conftest import PERSONAS
from tests.surveys.conftest import HTMX, answer_all, ask, draft_round, links_sent

READERS = ["executive", "pmo", "manager", "steering_member", "admin_user"]
FACILITATORS = {"pmo", "admin_user"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_every_role_but_none_reads_the_round_list(persona, closed_round, request):
    response = client_for(persona).get(reverse("surveys:round-list"))
    assert response.status_code == (403 if persona.username == "outsider" else 200)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_pmo_and_admins_draft_a_round(persona, program):
    response = client_for(persona).post(
        reverse("surveys:round-create"), {"title": "New round", "program": program.pk, "anonymised": "on"}
    )
    if persona.username in {"pmo", "admin"}:
        assert response.status_code == 302
        assert SurveyRound.objects.get().title == "New round"
    else:
        assert response.status_code == 403
        assert SurveyRound.objects.count() == 0


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_pmo_and_admins_close_a_round(persona, pmo, program):
    survey = draft_round(pmo, program)
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, ["Grow sales"])
    answer_all(ivan, ["Grow margins"])

    response = client_for(persona).post(reverse("surveys:round-close", args=[survey.pk]))

    survey.refresh_from_db()
    if persona.username in {"pmo", "admin"}:
        assert response.status_code == 302
        assert survey.status == RoundStatus.CLOSED
    else:
        assert response.status_code == 403
        assert (survey.status, survey.results) == (RoundStatus.OPEN, {})


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_the_workshop_is_read_by_every_role(persona, closed_round):
    response = client_for(persona).get(reverse("surveys:workshop", args=[closed_round.pk]))
    assert response.status_code == (403 if persona.username == "outsider" else 200)


def test_the_workshop_of_an_open_round_is_not_found_the_answers_being_private(pmo, program):
    survey = draft_round(pmo, program)
    response = client_for(pmo).get(reverse("surveys:workshop", args=[survey.pk]))
    assert response.status_code == 404


def test_the_workshop_shows_answers_side_by_side_anonymised(executive, closed_round):
    response = client_for(executive).get(reverse("surveys:workshop", args=[closed_round.pk]))
    page = response.content.decode()
    assert "Grow online sales and cut delivery costs" in page
    assert "Replace the legacy order system" in page
    assert "Business 1" in page
    assert "IT 1" in page
    assert "Bea Business" not in page
    assert "Ivan IT" not in page
    assert "HX-Request" in response["Vary"]


def test_the_workshop_question_panel_comes_alone_for_htmx(executive, closed_round):
    second = closed_round.results["questions"][1]["id"]
    url = reverse("surveys:workshop", args=[closed_round.pk]) + f"?question={second}"

    full = client_for(executive).get(url)
    fragment = client_for(executive).get(url, **HTMX)

    assert full.status_code == fragment.status_code == 200
    assert "<html" in full.content.decode()
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="question-panel"')
    assert "What does success look like, and when?" in body
    assert "<html" not in body


@pytest.mark.parametrize("question", ["abc", "999999", "-1", "1" * 40, ""])
def test_a_malformed_question_falls_back_to_the_first(executive, closed_round, question):
    response = client_for(executive).get(
        reverse("surveys:workshop", args=[closed_round.pk]), {"question": question}
    )
    assert response.status_code == 200
    assert "Describe the program" in response.content.decode()


def test_the_answer_page_through_a_link_needs_no_account(pmo, program, django_capture_on_commit_callbacks):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    with django_capture_on_commit_callbacks(execute=True):
        services.round_open(user=pmo, round_id=survey.pk)
    url = reverse("surveys:respond", args=[links_sent()["bea@example.org"]])
    questions = list(survey.questions.prefetch_related("items").order_by("position"))
    data = {f"q{q.pk}": f"Answer {i}" for i, q in enumerate(questions) if q.kind == "text"}
    data |= {f"i{item.pk}": "4" for item in questions[4].items.all()}

    page = Client().get(url)
    saved = Client().post(url, data)

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert saved.status_code == 200
    assert "Your answers" in saved.content.decode()
    assert sorted(Answer.objects.values_list("text", flat=True)) == [
        "Answer 0",
        "Answer 1",
        "Answer 2",
        "Answer 3",
    ]


def test_a_missing_answer_is_shown_at_its_field_and_nothing_is_saved(
    pmo, program, django_capture_on_commit_callbacks
):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    with django_capture_on_commit_callbacks(execute=True):
        services.round_open(user=pmo, round_id=survey.pk)
    url = reverse("surveys:respond", args=[links_sent()["bea@example.org"]])
    first = survey.questions.get(position=0)

    response = Client().post(url, {f"q{first.pk}": "Only this one"})

    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("This field is required.") == 5  # three text questions and two scale items
    assert Answer.objects.count() == 0


@pytest.mark.parametrize("token", ["nonsense", "a" * 43, "x" * 99])
def test_an_unknown_link_says_so_and_is_not_found(db, token):
    response = Client().get(reverse("surveys:respond", args=[token]))
    assert response.status_code == 404
    assert "does not work" in response.content.decode()


def test_a_too_long_link_is_refused_without_a_database_search(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().post(reverse("surveys:respond", args=["y" * 150]), {})
    assert response.status_code == 404


def test_a_leader_answers_signed_in(pmo, executive, program):
    survey = draft_round(pmo, program)
    services.respondent_add(
        user=pmo,
        round_id=survey.pk,
        side="business",
        name="Erin",
        email="erin@example.org",
        account=executive,
    )
    ask(pmo, survey, [("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)

    mine = client_for(executive).get(reverse("surveys:respond-signed-in", args=[survey.pk]))
    not_mine = client_for(pmo).get(reverse("surveys:respond-signed-in", args=[survey.pk]))

    assert mine.status_code == 200
    assert not_mine.status_code == 403


def test_adding_a_leader_with_a_bad_address_says_so_at_the_field(pmo, program):
    survey = draft_round(pmo, program)

    response = client_for(pmo).post(
        reverse("surveys:respondent-add", args=[survey.pk]),
        {"side": "it", "name": "Ivan", "email": "not-an-address"},
    )

    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
    assert survey.respondents.count() == 0


def test_a_question_cannot_be_added_once_the_round_is_open(pmo, program):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)

    response = client_for(pmo).post(
        reverse("surveys:question-add", args=[survey.pk]), {"kind": "text", "text": "One more?"}
    )

    assert response.status_code == 422
    assert "only change while the round is a draft" in response.content.decode()
    assert Question.objects.filter(round=survey).count() == 5


def test_hostile_answers_are_escaped_on_the_page_and_inert_in_the_csv(pmo, program):
    survey = draft_round(pmo, program, anonymised=False)
    bea, ivan = ask(pmo, survey, [("business", "<script>alert(1)</script> Bea"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, ['=HYPERLINK("http://evil.example") <img src=x onerror=alert(2)> growth'])
    answer_all(ivan, ["growth <b>bold</b>"])
    services.round_close(user=pmo, round_id=survey.pk)
    client = client_for(pmo)

    page = client.get(reverse("surveys:workshop", args=[survey.pk])).content.decode()
    csv = client.get(reverse("surveys:leaders-csv", args=[survey.pk])).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bea" in page
    assert "<img src=x" not in page
    assert "\\u0026lt;script\\u0026gt;" in page  # in the heat map's JSON, as Plotly shows text
    assert "'=HYPERLINK" not in csv  # the words of answers are split: no formula survives as a term
    terms = client.get(reverse("surveys:terms-csv", args=[survey.pk])).content.decode()
    assert terms.splitlines()[0] == "Term,Stem,List,Business count,IT count"
    assert "growth,growth,shared,4,4" in terms.splitlines()  # four text questions answered alike


def test_the_leaders_csv_makes_formula_names_inert(pmo, program):
    survey = draft_round(pmo, program, anonymised=False)
    bea, ivan = ask(pmo, survey, [("business", "=cmd Bea"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, ["growth"])
    answer_all(ivan, ["growth"])
    services.round_close(user=pmo, round_id=survey.pk)

    csv = client_for(pmo).get(reverse("surveys:leaders-csv", args=[survey.pk])).content.decode()

    assert csv.splitlines()[0] == "Leader,'=cmd Bea (Business),Ivan IT (IT)"
    assert csv.splitlines()[1] == "'=cmd Bea (Business),1.0,1.0"


def test_the_clouds_are_png_images(executive, closed_round):
    client = client_for(executive)
    shared = client.get(reverse("surveys:cloud", args=[closed_round.pk, "shared"]))
    unknown = client.get(reverse("surveys:cloud", args=[closed_round.pk, "everything"]))
    assert shared.status_code == 200
    assert shared["Content-Type"] == "image/png"
    assert shared.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert unknown.status_code == 404


@pytest.mark.parametrize("n_rounds", [1, 6])
def test_the_round_list_costs_the_same_queries_however_many_rounds(
    pmo, program, n_rounds, django_assert_num_queries
):
    for i in range(n_rounds):
        draft_round(pmo, program, title=f"Round {i}")
    client = client_for(pmo)
    client.get(reverse("surveys:round-list"))  # warm the session

    with django_assert_num_queries(5):
        response = client.get(reverse("surveys:round-list"))
    assert response.status_code == 200


def test_the_printable_pack_shows_every_question(executive, closed_round):
    response = client_for(executive).get(reverse("surveys:pack", args=[closed_round.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Similarity of the sides' answers") == 4
