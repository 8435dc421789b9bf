"""The survey's use cases: a facilitator (the PMO) drafts a round, asks business and IT leaders, opens it
(invitations by e-mail with a personal link), reminds those who have not answered, and closes it, which stores
the analysis. Leaders answer through their link or signed in; answers stay private until the round closes."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from core.changes import portfolio_changed
from core.errors import ApplicationError, NotAllowed
from core.records import record_create, record_update
from core.roles import can_edit_portfolio, can_view
from portfolio.models import Contribution, Objective, Program
from surveys import results as survey_results
from surveys.models import (
    ANSWER_MAX_LENGTH,
    MAX_QUESTIONS,
    MAX_RESPONDENTS,
    MAX_SCALE_ITEMS,
    Answer,
    Question,
    QuestionKind,
    Rating,
    Respondent,
    RoundStatus,
    ScaleItem,
    Side,
    SurveyRound,
    question_defaults,
)

log = logging.getLogger(__name__)

LINK_DAYS = 30  # a personal link works for this many days after it was sent
PROGRAM_OBJECTIVES = 12
ROUND_FIELDS = ("title", "program", "anonymised", "closes_on")
NOT_FACILITATOR = "Only the PMO runs leadership alignment surveys."


def can_facilitate(user: Any) -> bool:
    """The PMO (and admins) run survey rounds: draft, ask, open, remind, close."""
    return can_edit_portfolio(user)


def can_read_results(user: Any) -> bool:
    """Everyone with a Bearing role reads a closed round's analysis (anonymised if the round says so)."""
    return can_view(user)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def program_objectives(program_id: int | None) -> list[tuple[int, str, str]]:
    """(id, code, title) of the objectives a program's initiatives contribute to (moderately or more first),
    or of the strategic themes for the whole portfolio; at most PROGRAM_OBJECTIVES, active ones only."""
    if program_id is None:
        rows = Objective.objects.active().filter(parent__isnull=True).order_by("code")
        return list(rows.values_list("pk", "code", "title")[:PROGRAM_OBJECTIVES])
    ids = (
        Contribution.objects.filter(initiative__program_id=program_id)
        .exclude(strength="none")
        .values("objective_id")
    )
    rows = Objective.objects.active().filter(pk__in=ids).order_by("code")
    return list(rows.values_list("pk", "code", "title")[:PROGRAM_OBJECTIVES])


def _locked_round(round_id: int) -> SurveyRound:
    found = SurveyRound.objects.select_for_update().filter(pk=round_id).first()
    if found is None:
        raise ApplicationError("This survey round no longer exists.")
    return found


def _require_facilitator(user: Any) -> None:
    if not can_facilitate(user):
        raise NotAllowed(NOT_FACILITATOR)


def _created(record: Any, user: Any) -> Any:
    """Save a new question or leader asked, its history saying who created it (outside a request too)."""
    record._history_user = user
    record.save(force_insert=True)
    return record


def _only(data: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {name: data[name] for name in fields if name in data}


# ------------------------------------------------------------------------------------------------ rounds


def round_create(*, user: Any, data: Mapping[str, Any]) -> SurveyRound:
    """Draft a round for a program (or the whole portfolio), facilitated by the user, with the default
    questions (docs/surveys.md): the article's four, then the importance of the program's objectives."""
    values = _only(data, ROUND_FIELDS)
    program = values.get("program")
    if program is not None and not isinstance(program, Program):
        values["program"] = Program.objects.filter(pk=program).first()
    with transaction.atomic(durable=True):
        created = record_create(
            SurveyRound, user=user, values={**values, "facilitator": user}, allowed=can_facilitate(user)
        )
        objectives = program_objectives(created.program_id)
        for position, spec in enumerate(question_defaults(objectives)):
            question = _created(
                Question(
                    round=created,
                    position=position,
                    kind=spec["kind"],
                    text=spec["text"],
                    help_text=spec["help_text"],
                ),
                user,
            )
            ScaleItem.objects.bulk_create(
                ScaleItem(
                    question=question, position=i, label=item["label"], objective_id=item["objective_id"]
                )
                for i, item in enumerate(spec.get("items", []))
            )
    return created


def round_update(*, user: Any, round_id: int, version: int, data: Mapping[str, Any]) -> SurveyRound:
    """Change a round's title, anonymity or answer-by date; its program only while it is a draft, and nothing
    once it is closed."""
    values = _only(data, ROUND_FIELDS)

    def prepare(before: SurveyRound, after: SurveyRound) -> None:
        if before.is_closed:
            raise ApplicationError("This round is closed: it can no longer be changed.")
        if not before.is_draft and after.program_id != before.program_id:
            raise ApplicationError(
                "The round is open: its program can no longer change.",
                field_errors={"program": ["The round is open: its program can no longer change."]},
            )

    return record_update(
        SurveyRound,
        pk=round_id,
        version=version,
        user=user,
        values=values,
        authorize=lambda u, _current: can_facilitate(u),
        prepare=prepare,
    )


def _clean_text(value: Any, *, field: str, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ApplicationError(
            "Please correct the errors below.", field_errors={field: ["This field is required."]}
        )
    if len(text) > limit:
        message = f"At most {limit} characters (this has {len(text)})."
        raise ApplicationError("Please correct the errors below.", field_errors={field: [message]})
    return text


def question_add(
    *, user: Any, round_id: int, kind: str, text: str, help_text: str = "", items: Sequence[str] = ()
) -> Question:
    """Add a question to a draft round: free text, or scale items (one label a line, 1-5 each)."""
    _require_facilitator(user)
    text = _clean_text(text, field="text", limit=500)
    help_text = _clean_text(help_text, field="help_text", limit=500, required=False)
    if kind not in QuestionKind.values:
        raise ApplicationError("Please correct the errors below.", field_errors={"kind": ["Choose a kind."]})
    labels = [label.strip() for label in items if label.strip()]
    if kind == QuestionKind.SCALE:
        if not labels:
            raise ApplicationError(
                "Please correct the errors below.",
                field_errors={"items": ["A scale question needs at least one item (one a line)."]},
            )
        if len(labels) > MAX_SCALE_ITEMS or any(len(label) > 300 for label in labels):
            raise ApplicationError(
                "Please correct the errors below.",
                field_errors={"items": [f"At most {MAX_SCALE_ITEMS} items of at most 300 characters each."]},
            )
    with transaction.atomic(durable=True):
        survey = _locked_round(round_id)
        if not survey.is_draft:
            raise ApplicationError("Questions can only change while the round is a draft.")
        count = survey.questions.count()
        if count >= MAX_QUESTIONS:
            raise ApplicationError(f"A round has at most {MAX_QUESTIONS} questions.")
        question = _created(
            Question(round=survey, position=count, kind=kind, text=text, help_text=help_text), user
        )
        if kind == QuestionKind.SCALE:
            ScaleItem.objects.bulk_create(
                ScaleItem(question=question, position=i, label=label) for i, label in enumerate(labels)
            )
    return question


def _draft_question(question_id: int) -> tuple[SurveyRound, Question]:
    """The question and its round, the round locked so that concurrent edits of its questions line up; refused
    unless the round is a draft."""
    round_id = Question.objects.filter(pk=question_id).values_list("round_id", flat=True).first()
    if round_id is None:
        raise ApplicationError("This question no longer exists.")
    survey = _locked_round(round_id)
    question = Question.objects.filter(pk=question_id, round=survey).first()
    if question is None:
        raise ApplicationError("This question no longer exists.")
    if not survey.is_draft:
        raise ApplicationError("Questions can only change while the round is a draft.")
    return survey, question


def question_update(
    *,
    user: Any,
    question_id: int,
    text: str,
    help_text: str = "",
    expected: tuple[str, str] | None = None,
) -> Question:
    """Reword a question of a draft round. `expected` is the (text, hint) the user saw: when someone changed
    the question since, nothing is saved and the user is told what it reads now."""
    _require_facilitator(user)
    text = _clean_text(text, field="text", limit=500)
    help_text = _clean_text(help_text, field="help_text", limit=500, required=False)
    with transaction.atomic(durable=True):
        _survey, question = _draft_question(question_id)
        if expected is not None and (question.text, question.help_text) != expected:
            raise ApplicationError(
                f"Someone changed this question while you were editing it; it now reads “{question.text}”. "
                "Your wording was not saved: edit it again if yours should win."
            )
        question.text, question.help_text = text, help_text
        question._history_user = user  # type: ignore[attr-defined]  # simple-history's who, outside a request too
        question.save(update_fields=["text", "help_text"])
    return question


def _renumber(questions: Sequence[Question], user: Any) -> None:
    """Positions 0..n-1 in the given order, writing only the questions whose position changed (and their
    history, by the user)."""
    changed = []
    for position, question in enumerate(questions):
        if question.position != position:
            question.position = position
            changed.append(question)
    if changed:
        bulk_update_with_history(changed, Question, ["position"], default_user=user)


def question_move(*, user: Any, question_id: int, direction: str) -> Question:
    """Move a question of a draft round one place up or down (the first stays first, the last last)."""
    _require_facilitator(user)
    if direction not in ("up", "down"):
        raise ApplicationError("Move a question up or down.")
    with transaction.atomic(durable=True):
        survey, question = _draft_question(question_id)
        questions = list(survey.questions.order_by("position", "pk"))
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
        _renumber(questions, user)
    return next(q for q in questions if q.pk == question.pk)


def question_delete(*, user: Any, question_id: int) -> None:
    """Remove a question from a draft round (the others keep their order)."""
    _require_facilitator(user)
    with transaction.atomic(durable=True):
        if not Question.objects.filter(pk=question_id).exists():
            return
        survey, question = _draft_question(question_id)
        question._history_user = user  # type: ignore[attr-defined]
        question.delete()
        _renumber(list(survey.questions.order_by("position", "pk")), user)


# ------------------------------------------------------------------------------------------------ respondents


def respondent_add(
    *, user: Any, round_id: int, side: str, name: str, email: str, account: Any = None
) -> Respondent:
    """Ask a business or IT leader (name, e-mail, optionally their Bearing account, to answer signed in). In an
    open round the invitation goes at once."""
    _require_facilitator(user)
    errors: dict[str, list[str]] = {}
    if side not in Side.values:
        errors["side"] = ["Choose business or IT."]
    name = str(name or "").strip()
    if not name:
        errors["name"] = ["This field is required."]
    elif len(name) > 120:
        errors["name"] = ["At most 120 characters."]
    email = str(email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid e-mail address."]
    if errors:
        raise ApplicationError("Please correct the errors below.", field_errors=errors)
    with transaction.atomic(durable=True):
        survey = _locked_round(round_id)
        if survey.is_closed:
            raise ApplicationError("This round is closed: nobody more can be asked.")
        if survey.respondents.filter(email=email).exists():
            raise ApplicationError(
                "Please correct the errors below.",
                field_errors={"email": ["This leader is already asked in this round."]},
            )
        if survey.respondents.count() >= MAX_RESPONDENTS:
            raise ApplicationError(f"A round asks at most {MAX_RESPONDENTS} leaders.")
        respondent = _created(Respondent(round=survey, side=side, name=name, email=email, user=account), user)
        if survey.is_open:
            _send_invitations(survey, [respondent], reminder=False)
    return respondent


def respondent_revoke(*, user: Any, respondent_id: int) -> Respondent:
    """Stop a leader's link from working (their answers so far stay, and count at the close)."""
    _require_facilitator(user)
    with transaction.atomic(durable=True):
        respondent = Respondent.objects.select_for_update().filter(pk=respondent_id).first()
        if respondent is None:
            raise ApplicationError("This leader is no longer asked in the round.")
        if _locked_round(respondent.round_id).is_closed:
            raise ApplicationError("This round is closed: its links no longer work anyway.")
        if respondent.revoked_at is None:
            respondent.revoked_at = timezone.now()
            respondent.token_hash = ""
            respondent._history_user = user  # type: ignore[attr-defined]
            respondent.save(update_fields=["revoked_at", "token_hash"])
    return respondent


def _link(token: str) -> str:
    return settings.BEARING_BASE_URL.rstrip("/") + reverse("surveys:respond", args=[token])


def _send_invitations(survey: SurveyRound, respondents: Sequence[Respondent], *, reminder: bool) -> int:
    """Give each respondent a fresh personal link (only its hash is kept, so a reminder's link replaces the
    previous one) and e-mail it, in one connection, after the transaction commits. A leader whose stored
    address is not a valid one (a row from before validation, an import) is skipped and logged, so that one
    bad address never stops the others' mail; returns how many were sent."""
    now = timezone.now()
    expires = now + datetime.timedelta(days=LINK_DAYS)
    messages = []
    reachable = []
    for respondent in respondents:
        try:
            validate_email(respondent.email)
        except ValidationError:
            log.warning(
                "Survey round %s: leader %s has no valid e-mail address; not sent", survey.pk, respondent.pk
            )
            continue
        reachable.append(respondent)
    respondents = reachable
    # a header holds one line: a title typed with line breaks (or imported) is sent on one
    title = " ".join(survey.title.split())
    for respondent in respondents:
        token = secrets.token_urlsafe(32)
        respondent.token_hash = token_hash(token)
        respondent.token_expires_at = expires
        if reminder:
            respondent.reminded_at = now
        else:
            respondent.invited_at = now
        by = f" by {survey.closes_on.isoformat()}" if survey.closes_on else ""
        lines = [
            f"Dear {respondent.name},",
            "",
            f"{'A reminder: ' if reminder else ''}you are asked, as a {respondent.get_side_display().lower()}, "
            f"to answer a short leadership alignment survey about {survey.scope_label}{by}.",
            "Business and IT leaders answer the same questions separately; nobody sees the answers until "
            "the facilitator closes the round"
            + (", and then without your name." if survey.anonymised else "."),
            "",
            f"Your personal link (it works for {LINK_DAYS} days; please do not forward it):",
            _link(token),
        ]
        if reminder:
            lines += ["", "This link replaces the one sent before."]
        messages.append(
            EmailMessage(
                subject=f"{'Reminder: ' if reminder else ''}Leadership alignment survey: {title}",
                body="\n".join(lines),
                to=[respondent.email],
            )
        )
    Respondent.objects.bulk_update(
        respondents, ["token_hash", "token_expires_at", "invited_at", "reminded_at"]
    )
    # robust: a mail server down after the commit is logged, never a failed request for a saved change
    transaction.on_commit(lambda: get_connection().send_messages(messages), robust=True)
    return len(messages)


def round_open(*, user: Any, round_id: int) -> int:
    """Open a draft round for answers and e-mail every leader their link; returns how many were invited."""
    _require_facilitator(user)
    with transaction.atomic(durable=True):
        survey = _locked_round(round_id)
        if not survey.is_draft:
            raise ApplicationError("This round is already open or closed.")
        if not survey.questions.exists():
            raise ApplicationError("Add at least one question before opening the round.")
        sides = set(survey.respondents.filter(revoked_at__isnull=True).values_list("side", flat=True))
        if sides != {Side.BUSINESS, Side.IT}:
            raise ApplicationError(
                "Ask at least one business leader and one IT leader before opening the round."
            )
        survey.status = RoundStatus.OPEN
        survey.opened_at = timezone.now()
        survey.version += 1
        survey.save(update_fields=["status", "opened_at", "version", "updated_at"])
        return _send_invitations(
            survey, list(survey.respondents.filter(revoked_at__isnull=True)), reminder=False
        )


def round_remind(*, user: Any, round_id: int) -> int:
    """E-mail a fresh link to every leader of an open round who has not answered yet; returns how many."""
    _require_facilitator(user)
    with transaction.atomic(durable=True):
        survey = _locked_round(round_id)
        if not survey.is_open:
            raise ApplicationError("Only an open round sends reminders.")
        waiting = list(survey.respondents.filter(revoked_at__isnull=True, answered_at__isnull=True))
        return _send_invitations(survey, waiting, reminder=True) if waiting else 0


def round_close(*, user: Any, round_id: int) -> SurveyRound:
    """Close an open round: no more answers, every link stops working, and the analysis is computed and
    stored with the round (surveys.results). Needs an answer from each side. Tells the engine the program
    changed (core.changes), so its signals and stored dashboard follow after commit."""
    _require_facilitator(user)
    with transaction.atomic(durable=True):
        survey = _locked_round(round_id)
        if not survey.is_open:
            raise ApplicationError("Only an open round can be closed.")
        answered = set(survey.respondents.filter(answered_at__isnull=False).values_list("side", flat=True))
        if answered != {Side.BUSINESS, Side.IT}:
            raise ApplicationError(
                "At least one business leader and one IT leader must answer before the round can close."
            )
        analysis = survey_results.analyse(survey)
        survey.status = RoundStatus.CLOSED
        survey.closed_at = timezone.now()
        survey.results = analysis
        survey.agreement = analysis["agreement"]
        survey.version += 1
        survey.save(update_fields=["status", "closed_at", "results", "agreement", "version", "updated_at"])
        survey.respondents.update(token_hash="")
        # the engine's leadership signal and the program's stored dashboard read the latest closed round
        portfolio_changed(program_ids=[survey.program_id])
    return survey


# ------------------------------------------------------------------------------------------------ answering


class LinkRefused(ApplicationError):
    """A personal link that does not (or no longer) work: unknown, expired, revoked, or its round closed."""


def respondent_for_token(token: str) -> Respondent:
    """The leader a personal link belongs to, if it still works."""
    if not token or len(token) > 100:
        raise LinkRefused("This link is not valid.")
    respondent = (
        Respondent.objects.select_related("round", "round__program")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if respondent is None:
        raise LinkRefused(
            "This link does not work (any more). If you were sent a newer one, use that; otherwise ask the "
            "survey's facilitator for a new link."
        )
    if respondent.token_expires_at is None or respondent.token_expires_at < timezone.now():
        raise LinkRefused("This link has expired. Ask the survey's facilitator for a new one.")
    if not respondent.round.is_open:
        raise LinkRefused("This survey round is not open for answers.")
    return respondent


def respondent_for_user(user: Any, round_id: int) -> Respondent:
    """The leader a signed-in user answers as in a round."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed("You are not asked to answer this round.")
    respondent = (
        Respondent.objects.select_related("round", "round__program")
        .filter(round_id=round_id, user_id=user.pk, revoked_at__isnull=True)
        .first()
    )
    if respondent is None:
        raise NotAllowed("You are not asked to answer this round.")
    if not respondent.round.is_open:
        raise LinkRefused("This survey round is not open for answers.")
    return respondent


def respondent_answer(
    *, respondent_id: int, answers: Mapping[int, str], ratings: Mapping[int, int | None]
) -> Respondent:
    """Save a leader's answers (text per question id, 1-5 per scale item id); they may change them until the
    round closes. Every question must be answered; bad values are refused at their field, nothing saved."""
    with transaction.atomic(durable=True):
        respondent = Respondent.objects.select_for_update().filter(pk=respondent_id).first()
        if respondent is None or respondent.revoked_at is not None:
            raise LinkRefused("You are no longer asked to answer this round.")
        survey = _locked_round(respondent.round_id)
        if not survey.is_open:
            raise LinkRefused("This survey round is not open for answers.")
        questions = list(survey.questions.prefetch_related("items"))
        errors: dict[str, list[str]] = {}
        texts: dict[int, str] = {}
        values: dict[int, int] = {}
        for question in questions:
            if question.kind == QuestionKind.TEXT:
                text = str(answers.get(question.pk) or "").strip()
                if not text:
                    errors[f"q{question.pk}"] = ["Please answer this question."]
                elif len(text) > ANSWER_MAX_LENGTH:
                    errors[f"q{question.pk}"] = [
                        f"At most {ANSWER_MAX_LENGTH} characters (this has {len(text)})."
                    ]
                texts[question.pk] = text
            else:
                for item in question.items.all():
                    value = ratings.get(item.pk)
                    if value not in (1, 2, 3, 4, 5):
                        errors[f"i{item.pk}"] = ["Choose a rating from 1 to 5."]
                    else:
                        values[item.pk] = value  # type: ignore[assignment]
        if errors:
            raise ApplicationError("Some answers are missing or invalid: see below.", field_errors=errors)
        for question_id, text in texts.items():
            Answer.objects.update_or_create(
                respondent=respondent, question_id=question_id, defaults={"text": text}
            )
        for item_id, value in values.items():
            Rating.objects.update_or_create(respondent=respondent, item_id=item_id, defaults={"value": value})
        respondent.answered_at = timezone.now()
        respondent.save(update_fields=["answered_at"])
    return respondent
