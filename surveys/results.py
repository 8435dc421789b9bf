"""A closed round's analysis, computed once from its answers when the facilitator closes it and stored with
the round (SurveyRound.results), so the workshop pages read it without redoing the text analysis."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from surveys import analysis, semantic
from surveys.models import Answer, Question, QuestionKind, Rating, ScaleItem, Side

if TYPE_CHECKING:
    from surveys.models import SurveyRound

METHOD = "tfidf-snowball-1"
TERMS_KEPT = 150  # terms of each list kept for the whole round (most used first)
QUESTION_TERMS_KEPT = 40


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _terms(terms: list[analysis.Term], limit: int) -> list[list[Any]]:
    return [[t.word, t.stem, t.business, t.it] for t in terms[:limit]]


def _vocabulary(vocabulary: analysis.Vocabulary, limit: int) -> dict[str, list[list[Any]]]:
    return {
        "shared": _terms(vocabulary.shared, limit),
        "business_only": _terms(vocabulary.business_only, limit),
        "it_only": _terms(vocabulary.it_only, limit),
        "counts": [len(vocabulary.shared), len(vocabulary.business_only), len(vocabulary.it_only)],  # type: ignore[list-item]
    }


def respondent_labels(respondents: list[tuple[int, str, str]], anonymised: bool) -> dict[int, str]:
    """How each respondent (id, side, name) is shown: their name and side, or only the side and a number."""
    labels: dict[int, str] = {}
    numbers: dict[str, int] = defaultdict(int)
    side_word = {Side.BUSINESS.value: "Business", Side.IT.value: "IT"}
    for pk, side, name in respondents:
        numbers[side] += 1
        labels[pk] = f"{side_word[side]} {numbers[side]}" if anonymised else f"{name} ({side_word[side]})"
    return labels


def analyse(survey: SurveyRound) -> dict[str, Any]:
    """Everything the workshop shows of a round, in a fixed number of queries: per question the sides'
    similarity and vocabulary, the agreement index, the leader × leader matrix, the shared and one-sided
    vocabulary of the round, the scale items' gaps, and which objectives each side mentions."""
    from surveys.services import program_objectives  # the service module imports this one

    respondents = list(
        survey.respondents.filter(answered_at__isnull=False)
        .order_by("side", "pk")
        .values_list("pk", "side", "name")
    )
    sides = {pk: side for pk, side, _name in respondents}
    questions = list(survey.questions.order_by("position", "pk"))
    answers: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for respondent_id, question_id, text in (
        Answer.objects.filter(question__round=survey, respondent_id__in=sides)
        .order_by("respondent__side", "respondent_id")
        .values_list("respondent_id", "question_id", "text")
    ):
        answers[question_id].append((respondent_id, sides[respondent_id], text))
    all_texts: list[tuple[str, str]] = []
    per_question = []
    similarities = []
    semantic_values = []
    for question in questions:
        if question.kind != QuestionKind.TEXT:
            continue
        rows = answers.get(question.pk, [])
        similarity = analysis.question_similarity(rows)
        similarities.append(similarity)
        texts = [(side, text) for _pk, side, text in rows]
        all_texts.extend(texts)
        semantic_value = semantic.side_similarity(
            [t for s, t in texts if s == Side.BUSINESS], [t for s, t in texts if s == Side.IT]
        )
        semantic_values.append(semantic_value)
        per_question.append(
            {
                "id": question.pk,
                "text": question.text,
                "similarity": _r(similarity.sides),
                "semantic": _r(semantic_value),
                "answers": {
                    Side.BUSINESS.value: sum(1 for _pk, s, _t in rows if s == Side.BUSINESS),
                    Side.IT.value: sum(1 for _pk, s, _t in rows if s == Side.IT),
                },
                "vocabulary": _vocabulary(analysis.vocabulary(texts), QUESTION_TERMS_KEPT),
            }
        )
    ids = [pk for pk, _side, _name in respondents]
    matrix = analysis.leader_matrix(ids, similarities)
    labels = respondent_labels(respondents, survey.anonymised)
    items = list(
        ScaleItem.objects.filter(question__round=survey).order_by(
            "question__position", "question_id", "position", "pk"
        )
    )
    ratings = Rating.objects.filter(item__in=items, respondent_id__in=sides).values_list(
        "item_id", "respondent_id", "value"
    )
    gaps = analysis.scale_gaps(
        [(item.pk, item.label) for item in items],
        [(item_id, sides[respondent_id], value) for item_id, respondent_id, value in ratings],
    )
    objectives = [(pk, f"{code} {title}") for pk, code, title in program_objectives(survey.program_id)]
    mentions = analysis.objective_mentions(
        [(pk, label.split(" ", 1)[1]) for pk, label in objectives], all_texts
    )
    label_of = dict(objectives)
    agreement = analysis.agreement_index(s.sides for s in similarities)
    semantic_agreement = analysis.agreement_index(semantic_values)
    return {
        "method": METHOD,
        "agreement": _r(agreement),
        "semantic": {"status": semantic.status(), "agreement": _r(semantic_agreement)},
        "respondents": [{"id": pk, "side": side, "label": labels[pk]} for pk, side, _name in respondents],
        "matrix": [[_r(v) for v in row] for row in matrix],
        "questions": per_question,
        "vocabulary": _vocabulary(analysis.vocabulary(all_texts), TERMS_KEPT),
        "scale": [
            {
                "item": gap.item_id,
                "label": gap.label,
                "business": _r(gap.business),
                "it": _r(gap.it),
                "gap": _r(gap.gap),
                "is_gap": gap.is_gap,
            }
            for gap in gaps
        ],
        "objectives": [
            {"id": m.objective_id, "label": label_of[m.objective_id], "business": m.business, "it": m.it}
            for m in mentions
        ],
    }


def question_texts(survey: SurveyRound) -> list[Question]:
    return list(survey.questions.order_by("position", "pk"))
