"""Reads of the survey: rounds, their state, and a closed round's answers for the workshop. Answers are read
only from a closed round: before that they are private, whoever asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from portfolio.selectors import HistoryEntry, history_entries
from surveys.models import Answer, Question, QuestionKind, Respondent, Side, SurveyRound
from surveys.results import respondent_labels


def round_rows() -> QuerySet[SurveyRound]:
    """Rounds with their counts of leaders asked and answered, newest first (one query a page)."""
    return (
        SurveyRound.objects.select_related("program", "facilitator")
        .annotate(
            asked=Count("respondents", filter=Q(respondents__revoked_at__isnull=True), distinct=True),
            answered=Count(
                "respondents",
                filter=Q(respondents__revoked_at__isnull=True, respondents__answered_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-created_at", "-pk")
    )


def respondent_counts(survey: SurveyRound) -> dict[str, dict[str, int]]:
    """Per side: asked (not revoked) and answered."""
    rows = (
        survey.respondents.filter(revoked_at__isnull=True)
        .values("side")
        .annotate(asked=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    )
    counts = {side: {"asked": 0, "answered": 0} for side in Side.values}
    for row in rows:
        counts[row["side"]] = {"asked": row["asked"], "answered": row["answered"]}
    return counts


def questions_of(survey: SurveyRound) -> list[Question]:
    return list(survey.questions.prefetch_related("items").order_by("position", "pk"))


def workshop_answers(survey: SurveyRound, question: Question) -> dict[str, list[dict[str, Any]]]:
    """A closed round's answers to one question, side by side: per side, each answer with who gave it (their
    name, or only their side and number when the round is anonymised). At most MAX_RESPONDENTS per side."""
    if not survey.is_closed:
        raise PermissionError("Answers are private until the round is closed.")
    respondents = list(
        Respondent.objects.filter(round=survey, answered_at__isnull=False)
        .order_by("side", "pk")
        .values_list("pk", "side", "name")
    )
    labels = respondent_labels(respondents, survey.anonymised)
    by_side: dict[str, list[dict[str, Any]]] = {side: [] for side in Side.values}
    if question.kind != QuestionKind.TEXT:
        return by_side
    rows = (
        Answer.objects.filter(question=question, respondent_id__in=labels)
        .order_by("respondent__side", "respondent_id")
        .values_list("respondent_id", "respondent__side", "text")
    )
    for respondent_id, side, text in rows:
        by_side[side].append({"label": labels[respondent_id], "text": text})
    return by_side


def program_agreements(
    program_ids: list[int] | None = None,
) -> dict[int, list[tuple[int, str, float, Any]]]:
    """Per program (every one, or those given), its closed rounds with an agreement index, latest first:
    (round id, title, agreement, closed at). One query; the engine's leadership signal reads the latest, the
    program dashboards the trend (the last TREND_ROUNDS of it)."""
    by_program: dict[int, list[tuple[int, str, float, Any]]] = {}
    rows = (
        SurveyRound.objects.closed()
        .filter(program__isnull=False, agreement__isnull=False)
        .order_by("program_id", "-closed_at", "-pk")
        .values_list("program_id", "pk", "title", "agreement", "closed_at")
    )
    if program_ids is not None:
        rows = rows.filter(program_id__in=program_ids)
    for program_id, pk, title, agreement, closed_at in rows:
        if agreement is None:  # filtered out above; for the type checker
            continue
        by_program.setdefault(program_id, []).append((pk, title, agreement, closed_at))
    return by_program


# The rounds an agreement trend shows at most: the latest ones (a program runs a round a quarter or so).
TREND_ROUNDS = 12


def agreement_trend(program_id: int | None) -> list[tuple[int, str, float, Any]]:
    """The closed rounds of a program (or of the whole portfolio, for None) with their agreement index, oldest
    first: (round id, title, agreement, closed at), the last TREND_ROUNDS. One query."""
    rows = list(
        SurveyRound.objects.closed()
        .of_program(program_id)
        .filter(agreement__isnull=False)
        .order_by("-closed_at", "-pk")
        .values_list("pk", "title", "agreement", "closed_at")[:TREND_ROUNDS]
    )
    return [
        (pk, title, agreement, closed_at)
        for pk, title, agreement, closed_at in reversed(rows)
        if agreement is not None  # filtered out above; for the type checker
    ]


ROUND_HISTORY = 30


def round_history(survey: SurveyRound) -> list[HistoryEntry]:
    """Who changed the round, its questions and its leaders asked, and when, old -> new, newest first (the
    last ROUND_HISTORY changes; three queries). Answers have no history: they are private."""
    return history_entries(
        [
            SurveyRound.history.filter(id=survey.pk),
            Question.history.filter(round_id=survey.pk),
            Respondent.history.filter(round_id=survey.pk),
        ],
        limit=ROUND_HISTORY,
    )
