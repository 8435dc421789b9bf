"""Editing a draft round's questions: reword, move up or down, remove. Only the PMO and admins, only while the
round is a draft; every refusal changes nothing; htmx answers with the questions section, plain requests with
a redirect; malformed input never gives a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError, NotAllowed
from surveys import services
from surveys.models import Question
from tests.conftest import PERSONAS
from tests.surveys.conftest import HTMX, ask, draft_round

pytestmark = pytest.mark.django_db

FACILITATORS = {"pmo", "admin"}
GOALS = "Describe the program's goals in your own words."
SUCCESS = "What does success look like, and when?"
CHANGE = "How will change be managed and sustained after go-live, and who owns it?"
VISION = "Is there a shared vision across business and IT teams? Describe it."
RATE = "Rate the importance of each of the program's objectives."


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def wording(survey) -> list[tuple[int, str, str]]:
    """(position, text, hint) of the round's questions, in order."""
    return list(survey.questions.order_by("position", "pk").values_list("position", "text", "help_text"))


def texts(survey) -> list[str]:
    return [text for _position, text, _hint in wording(survey)]


def nth(survey, n: int) -> Question:
    return survey.questions.order_by("position", "pk")[n]


def opened(pmo, program):
    survey = draft_round(pmo, program)
    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    return survey


# ------------------------------------------------------------------------------------------------ services


def test_rewording_a_question_keeps_its_place(pmo, program):
    survey = draft_round(pmo, program)

    services.question_update(
        user=pmo, question_id=nth(survey, 1).pk, text="  What is success?  ", help_text="By when?"
    )

    assert wording(survey)[1] == (1, "What is success?", "By when?")
    assert texts(survey) == [GOALS, "What is success?", CHANGE, VISION, RATE]


def test_moving_a_question_up_and_down_swaps_it_with_its_neighbour(pmo, program):
    survey = draft_round(pmo, program)
    vision = nth(survey, 3)

    services.question_move(user=pmo, question_id=vision.pk, direction="up")
    assert texts(survey) == [GOALS, SUCCESS, VISION, CHANGE, RATE]

    services.question_move(user=pmo, question_id=nth(survey, 0).pk, direction="down")
    assert texts(survey) == [SUCCESS, GOALS, VISION, CHANGE, RATE]
    assert [position for position, _t, _h in wording(survey)] == [0, 1, 2, 3, 4]


def test_the_first_question_stays_first_and_the_last_last(pmo, program):
    survey = draft_round(pmo, program)

    services.question_move(user=pmo, question_id=nth(survey, 0).pk, direction="up")
    services.question_move(user=pmo, question_id=nth(survey, 4).pk, direction="down")

    assert texts(survey) == [GOALS, SUCCESS, CHANGE, VISION, RATE]


def test_removing_a_question_closes_the_gap(pmo, program):
    survey = draft_round(pmo, program)

    services.question_delete(user=pmo, question_id=nth(survey, 1).pk)

    assert [(p, t) for p, t, _h in wording(survey)] == [(0, GOALS), (1, CHANGE), (2, VISION), (3, RATE)]
    # and a question added next goes last
    services.question_add(user=pmo, round_id=survey.pk, kind="text", text="Anything else?")
    assert texts(survey)[-1] == "Anything else?"
    assert wording(survey)[-1][0] == 4


@pytest.mark.parametrize(
    "change",
    [
        lambda pmo, q: services.question_update(user=pmo, question_id=q.pk, text="New words"),
        lambda pmo, q: services.question_move(user=pmo, question_id=q.pk, direction="down"),
        lambda pmo, q: services.question_delete(user=pmo, question_id=q.pk),
    ],
    ids=["reword", "move", "remove"],
)
def test_questions_cannot_change_once_the_round_is_open(pmo, program, change):
    survey = opened(pmo, program)
    before = wording(survey)

    with pytest.raises(ApplicationError, match="Questions can only change while the round is a draft."):
        change(pmo, nth(survey, 0))

    assert wording(survey) == before


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in ("pmo", "admin_user")], indirect=True)
def test_only_the_pmo_and_admins_change_questions_in_the_services(persona, pmo, program):
    survey = draft_round(pmo, program)
    before = wording(survey)
    question = nth(survey, 0)

    with pytest.raises(NotAllowed):
        services.question_update(user=persona, question_id=question.pk, text="Mine")
    with pytest.raises(NotAllowed):
        services.question_move(user=persona, question_id=question.pk, direction="down")
    with pytest.raises(NotAllowed):
        services.question_delete(user=persona, question_id=question.pk)

    assert wording(survey) == before


def test_a_rewording_over_someone_elses_is_refused_and_says_what_it_reads_now(pmo, admin_user, program):
    survey = draft_round(pmo, program)
    question = nth(survey, 0)
    seen = (question.text, question.help_text)
    services.question_update(user=admin_user, question_id=question.pk, text="Their words")

    with pytest.raises(ApplicationError, match="it now reads “Their words”"):
        services.question_update(user=pmo, question_id=question.pk, text="My words", expected=seen)

    assert texts(survey)[0] == "Their words"


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "This field is required."), ("x" * 501, "At most 500 characters (this has 501).")],
)
def test_a_bad_wording_is_refused_at_its_field(pmo, program, text, message):
    survey = draft_round(pmo, program)

    with pytest.raises(ApplicationError) as refused:
        services.question_update(user=pmo, question_id=nth(survey, 0).pk, text=text)

    assert refused.value.field_errors == {"text": [message]}
    assert texts(survey)[0] == GOALS


# ------------------------------------------------------------------------------------------------ pages


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_pmo_and_admins_reword_move_and_remove_on_the_page(persona, pmo, program):
    survey = draft_round(pmo, program)
    first, second = nth(survey, 0), nth(survey, 1)
    client = client_for(persona)

    responses = [
        client.post(
            reverse("surveys:question-edit", args=[first.pk]),
            {"text": "Reworded", "help_text": "", "was_text": first.text, "was_help_text": first.help_text},
        ),
        client.post(reverse("surveys:question-move", args=[first.pk]), {"direction": "down"}),
        client.post(reverse("surveys:question-delete", args=[second.pk])),
    ]

    if persona.username in FACILITATORS:
        assert [r.status_code for r in responses] == [302, 302, 302]
        assert texts(survey) == ["Reworded", CHANGE, VISION, RATE]
    else:
        assert [r.status_code for r in responses] == [403, 403, 403]
        assert texts(survey) == [GOALS, SUCCESS, CHANGE, VISION, RATE]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_the_edit_form_is_offered_to_the_pmo_and_admins_only(persona, pmo, program):
    survey = draft_round(pmo, program)

    response = client_for(persona).get(reverse("surveys:question-edit", args=[nth(survey, 0).pk]))

    assert response.status_code == (200 if persona.username in FACILITATORS else 403)


def test_the_round_page_offers_edit_move_and_remove_while_a_draft_only(pmo, program):
    survey = draft_round(pmo, program)
    client = client_for(pmo)
    first = nth(survey, 0)

    page = client.get(reverse("surveys:round-detail", args=[survey.pk])).content.decode()
    assert reverse("surveys:question-edit", args=[first.pk]) in page
    assert 'aria-label="Move question 1 down"' in page
    assert 'aria-label="Move question 1 up"' not in page  # the first goes nowhere up
    assert 'aria-label="Move question 5 down"' not in page

    ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    page = client.get(reverse("surveys:round-detail", args=[survey.pk])).content.decode()
    assert reverse("surveys:question-edit", args=[first.pk]) not in page
    assert reverse("surveys:question-move", args=[first.pk]) not in page


def test_moving_with_htmx_answers_with_the_questions_section(pmo, program):
    survey = draft_round(pmo, program)

    response = client_for(pmo).post(
        reverse("surveys:question-move", args=[nth(survey, 1).pk]), {"direction": "up"}, **HTMX
    )

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    content = response.content.decode()
    assert content.lstrip().startswith('<section class="mb-4" id="questions"')
    assert "<html" not in content
    assert "Question moved up." in content
    assert content.index("What does success look like") < content.index("Describe the program")
    assert texts(survey) == [SUCCESS, GOALS, CHANGE, VISION, RATE]


def test_moving_without_htmx_redirects_to_the_questions(pmo, program):
    survey = draft_round(pmo, program)

    response = client_for(pmo).post(
        reverse("surveys:question-move", args=[nth(survey, 1).pk]), {"direction": "up"}, follow=True
    )

    assert response.redirect_chain == [
        (reverse("surveys:round-detail", args=[survey.pk]) + "#questions", 302)
    ]
    assert "Question moved up." in response.content.decode()


def test_removing_with_htmx_answers_with_the_questions_section(pmo, program):
    survey = draft_round(pmo, program)

    response = client_for(pmo).post(reverse("surveys:question-delete", args=[nth(survey, 0).pk]), **HTMX)

    assert response.status_code == 200
    assert "Question removed." in response.content.decode()
    assert texts(survey) == [SUCCESS, CHANGE, VISION, RATE]


def test_the_edit_form_comes_in_place_of_the_question_with_htmx_and_as_a_page_without(pmo, program):
    survey = draft_round(pmo, program)
    url = reverse("surveys:question-edit", args=[nth(survey, 0).pk])
    client = client_for(pmo)

    fragment = client.get(url, **HTMX)
    page = client.get(url)

    assert (
        fragment.content.decode()
        .lstrip()
        .startswith(f'<li class="list-group-item" id="question-{nth(survey, 0).pk}"')
    )
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode()
    assert 'value="Describe the program&#x27;s goals in your own words."' in page.content.decode()


def test_rewording_with_htmx_replaces_the_whole_questions_section(pmo, program):
    survey = draft_round(pmo, program)
    question = nth(survey, 0)

    response = client_for(pmo).post(
        reverse("surveys:question-edit", args=[question.pk]),
        {
            "text": "Our goals?",
            "help_text": "Short",
            "was_text": question.text,
            "was_help_text": question.help_text,
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#questions", "outerHTML")
    assert "Question saved." in response.content.decode()
    assert wording(survey)[0] == (0, "Our goals?", "Short")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_blank_wording_is_shown_at_the_field_and_nothing_saved(pmo, program, htmx):
    survey = draft_round(pmo, program)
    question = nth(survey, 0)

    response = client_for(pmo).post(
        reverse("surveys:question-edit", args=[question.pk]),
        {"text": "", "was_text": question.text, "was_help_text": question.help_text},
        **(HTMX if htmx else {}),
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert ("<html" in response.content.decode()) is not htmx
    assert texts(survey)[0] == GOALS


def test_a_rewording_over_someone_elses_on_the_page_says_so_and_the_next_save_wins(pmo, admin_user, program):
    survey = draft_round(pmo, program)
    question = nth(survey, 0)
    url = reverse("surveys:question-edit", args=[question.pk])
    seen = {"was_text": question.text, "was_help_text": question.help_text}
    services.question_update(user=admin_user, question_id=question.pk, text="Their words")

    refused = client_for(pmo).post(url, {"text": "My words", **seen})

    assert refused.status_code == 422
    assert "it now reads “Their words”" in refused.content.decode()
    assert 'name="was_text" value="Their words"' in refused.content.decode()
    assert texts(survey)[0] == "Their words"
    again = client_for(pmo).post(url, {"text": "My words", "was_text": "Their words", "was_help_text": ""})
    assert again.status_code == 302
    assert texts(survey)[0] == "My words"


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_editing_the_questions_of_an_open_round_is_refused_and_changes_nothing(pmo, program, htmx):
    survey = opened(pmo, program)
    before = wording(survey)
    question = nth(survey, 0)
    client = client_for(pmo)
    extra = HTMX if htmx else {}

    responses = [
        client.post(reverse("surveys:question-edit", args=[question.pk]), {"text": "New"}, **extra),
        client.post(reverse("surveys:question-move", args=[question.pk]), {"direction": "down"}, **extra),
        client.post(reverse("surveys:question-delete", args=[question.pk]), **extra),
    ]

    assert [r.status_code for r in responses] == ([422, 422, 422] if htmx else [302, 302, 302])
    if htmx:
        assert all(
            "Questions can only change while the round is a draft." in r.content.decode() for r in responses
        )
    assert wording(survey) == before


@pytest.mark.parametrize("direction", ["sideways", "", "up" * 300])
def test_a_malformed_direction_is_refused_without_a_500(pmo, program, direction):
    survey = draft_round(pmo, program)

    response = client_for(pmo).post(
        reverse("surveys:question-move", args=[nth(survey, 1).pk]), {"direction": direction}, **HTMX
    )

    assert response.status_code == 422
    assert "Move a question up or down." in response.content.decode()
    assert texts(survey) == [GOALS, SUCCESS, CHANGE, VISION, RATE]


def test_an_unknown_question_is_not_found(pmo, program):
    client = client_for(pmo)
    for name in ("question-edit", "question-move", "question-delete"):
        assert client.post(reverse(f"surveys:{name}", args=[999999])).status_code == 404
