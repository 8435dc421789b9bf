"""Leadership alignment survey rounds: the questions, the business and IT leaders asked, their private answers,
and what the analysis found once the facilitator closed the round."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import HISTORY_EXCLUDED, VersionedModel, one_to_five
from portfolio.models import Objective, Program

MAX_QUESTIONS = 20
MAX_RESPONDENTS = 60
MAX_SCALE_ITEMS = 12
ANSWER_MAX_LENGTH = 5000


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for answers"
    CLOSED = "closed", "Closed"


class Side(models.TextChoices):
    BUSINESS = "business", "Business leader"
    IT = "it", "IT leader"


class QuestionKind(models.TextChoices):
    TEXT = "text", "Free text"
    SCALE = "scale", "Scale items (1-5)"


class SurveyRoundQuerySet(models.QuerySet["SurveyRound"]):
    def closed(self) -> SurveyRoundQuerySet:
        return self.filter(status=RoundStatus.CLOSED)

    def of_program(self, program_id: int | None) -> SurveyRoundQuerySet:
        return self.filter(program_id=program_id) if program_id else self.filter(program__isnull=True)


class SurveyRound(VersionedModel):
    """One round of the survey for a program (or the whole portfolio when no program), run by a facilitator.
    Answers stay private until the facilitator closes the round; then the analysis is stored with it."""

    title = models.CharField(max_length=200)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_rounds"
    )
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    anonymised = models.BooleanField(
        default=True,
        help_text="Show only each answer's side (business or IT), never the leader's name.",
    )
    closes_on = models.DateField(
        null=True, blank=True, help_text="The date you ask leaders to answer by (links expire 30 days after)."
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The analysis, computed once when the round closes (surveys.services.round_close): the agreement index
    # (0-100) and, per question, the sides' similarity.
    agreement = models.FloatField(null=True, blank=True)
    results = models.JSONField(default=dict, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=[*HISTORY_EXCLUDED, "results"])
    objects = SurveyRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement__isnull=True) | Q(agreement__gte=0, agreement__lte=100),
                name="survey_round_agreement_0_100",
            )
        ]
        indexes = [models.Index(fields=["program", "status", "closed_at"], name="survey_round_program")]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_label(self) -> str:
        return self.program.name if self.program_id and self.program else "Whole portfolio"

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == RoundStatus.CLOSED


class Question(models.Model):
    """A question of a round: free text, or scale items each rated 1-5 (e.g. the importance of each of the
    program's objectives)."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=500, blank=True)

    # who reworded, moved or removed a question of the draft, and when (the round page shows it)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class ScaleItem(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=300)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class Respondent(models.Model):
    """A leader asked to answer, on the business or the IT side. They answer through a personal link (a random
    token, of which only the hash is kept; it expires and can be revoked) or signed in as `user`."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="respondents")
    side = models.CharField(max_length=10, choices=Side.choices)
    name = models.CharField(max_length=120)
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    invited_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)

    # who asked or revoked a leader, and when they answered; never the link's hash (nor the answers: private)
    history = HistoricalRecords(excluded_fields=["token_hash", "token_expires_at"])

    class Meta:
        ordering = ["side", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "email"], name="survey_respondent_one_per_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_side_display()})"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.answered_at:
            return "answered"
        if self.invited_at:
            return "invited"
        return "not invited"


class Answer(models.Model):
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(max_length=ANSWER_MAX_LENGTH, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["respondent", "question"], name="survey_one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"Answer of respondent {self.respondent_id} to question {self.question_id}"


class Rating(models.Model):
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(ScaleItem, on_delete=models.CASCADE, related_name="ratings")
    value = models.PositiveSmallIntegerField(validators=one_to_five())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["respondent", "item"], name="survey_one_rating_per_item"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=5), name="survey_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.value}/5"


def question_defaults(objectives: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """The default questions of a new round, from the article on vision and value (seed 004): the program's
    goals, success and when, change after go-live and who owns it, a shared vision across teams; then the
    importance of each of the program's objectives (id, code, title), 1-5."""
    questions: list[dict[str, Any]] = [
        {
            "kind": QuestionKind.TEXT,
            "text": "Describe the program's goals in your own words.",
            "help_text": "What should be different for the business when it is done?",
        },
        {
            "kind": QuestionKind.TEXT,
            "text": "What does success look like, and when?",
            "help_text": "At system go-live, or specific benefits over the quarters or years after it?",
        },
        {
            "kind": QuestionKind.TEXT,
            "text": "How will change be managed and sustained after go-live, and who owns it?",
            "help_text": "Who manages changing expectations, and who owns and supports the long-term "
            "sustainment model?",
        },
        {
            "kind": QuestionKind.TEXT,
            "text": "Is there a shared vision across business and IT teams? Describe it.",
            "help_text": "Is it based on the strategic direction of the organisation?",
        },
    ]
    if objectives:
        questions.append(
            {
                "kind": QuestionKind.SCALE,
                "text": "Rate the importance of each of the program's objectives.",
                "help_text": "1 = not important, 5 = critical.",
                "items": [
                    {"label": f"{code} {title}", "objective_id": pk}
                    for pk, code, title in objectives[:MAX_SCALE_ITEMS]
                ],
            }
        )
    return questions
