"""Into the engine: a program whose latest closed survey round's agreement index is below the policy's
threshold raises the early-warning signal "leadership_misaligned" (amber below 40, red below 25)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alignment import services as alignment_services
from alignment.models import Signal
from surveys import services
from tests.surveys.conftest import BUSINESS_GOALS, IT_GOALS, answer_all, ask, draft_round

pytestmark = pytest.mark.django_db


def closed(pmo, program, business: str, it: str, title: str):
    survey = draft_round(pmo, program, title=title)
    bea, ivan = ask(pmo, survey, [("business", "Bea Business"), ("it", "Ivan IT")])
    services.round_open(user=pmo, round_id=survey.pk)
    answer_all(bea, [business])
    answer_all(ivan, [it])
    return services.round_close(user=pmo, round_id=survey.pk)


def test_a_program_whose_leaders_agree_little_raises_a_red_signal(pmo, program):
    # given a closed round with the worked example's answers: agreement 15.59
    survey = closed(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 1")

    # when the engine recomputes
    alignment_services.recompute()

    # then the program has a red signal pointing at the workshop
    signal = Signal.objects.get(rule="leadership_misaligned")
    assert (signal.key, signal.severity, signal.program_id, signal.initiative_id) == (
        f"leadership_misaligned:p{program.pk}",
        "red",
        program.pk,
        None,
    )
    assert signal.message == "Business and IT leaders agree 16/100 in the survey “Round 1”: below 40."
    assert (signal.measured, signal.threshold) == (15.59, 40.0)
    assert signal.evidence == [
        {"label": "Survey “Round 1”", "url": reverse("surveys:workshop", args=[survey.pk])}
    ]


def test_the_signal_follows_the_latest_round_and_goes_when_leaders_agree(pmo, program):
    # given a first round far apart, then a second with the same answers on both sides
    closed(pmo, program, BUSINESS_GOALS, IT_GOALS, "Round 1")
    closed(pmo, program, BUSINESS_GOALS, BUSINESS_GOALS, "Round 2")

    # when the engine recomputes, then the latest round (agreement 100) raises nothing
    alignment_services.recompute()
    assert not Signal.objects.filter(rule="leadership_misaligned").exists()


def test_an_amber_signal_between_the_thresholds_names_the_previous_round(pmo, program):
    # given a first round at 100, then one at 2 / sqrt((2 + w²)(2 + 3w²)) = 0.3563 (w = 1 + ln 1.5)
    closed(pmo, program, "cost", "cost", "Round 1")
    closed(pmo, program, "cut cost growth", "cut cost legacy system replace", "Round 2")

    alignment_services.recompute()

    signal = Signal.objects.get(rule="leadership_misaligned")
    assert signal.severity == "amber"
    assert signal.message == (
        "Business and IT leaders agree 36/100 in the survey “Round 2” (it was 100 in the round before): below 40."
    )
