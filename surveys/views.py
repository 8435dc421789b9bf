"""Survey pages: the rounds, a round's questions and leaders (the facilitator's page), the answer form reached
through a personal link or signed in, and the workshop of a closed round (answers side by side, clouds, gaps,
agreement) with its printable pack. htmx swaps the workshop's question panel; every link works without it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.chart_parts import chart_dict
from core.errors import ApplicationError, NotAllowed
from core.printing import print_assets, print_html, print_in_thread
from core.tabular import csv_response
from core.views import (
    HtmxHttpRequest,
    form_response,
    form_status,
    posted,
    render_page,
    require,
    submit,
    viewer_required,
    wants_fragment,
)
from surveys import charts, selectors, semantic, services
from surveys.forms import AnswerForm, QuestionEditForm, QuestionForm, RespondentForm, RoundForm
from surveys.models import Question, QuestionKind, Respondent, SurveyRound

T = "surveys/"
ROUNDS_PER_PAGE = 20
CLOUD_KINDS = ("shared", "business_only", "it_only")
CLOUD_CACHE_SECONDS = 3600
PACK_ASSETS = {
    "bootstrap": "vendor/bootstrap/bootstrap.min.css",
    "css": "css/bearing.css",
    "boardpack_css": "css/boardpack.css",
    "plotly_css": "vendor/plotly/plotly.css",
    "charts": "js/charts.js",
    "boardpack_js": "js/boardpack.js",
    "plotly": "vendor/plotly/plotly-bearing.min.js",
    "logo": "img/bearing.svg",
}


def _round(pk: int) -> SurveyRound:
    return get_object_or_404(SurveyRound.objects.select_related("program", "facilitator"), pk=pk)


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


@viewer_required
@require_GET
def round_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(selectors.round_rows(), ROUNDS_PER_PAGE).get_page(_page_number(request))
    return render_page(
        request,
        T + "round_list.html",
        {"page": page, "can_facilitate": services.can_facilitate(request.user)},
        partial="rounds",
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def round_create(request: HtmxHttpRequest) -> HttpResponse:
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    return form_response(
        request,
        RoundForm(posted(request)),
        save=lambda f: services.round_create(user=request.user, data=f.model_values()),
        done=lambda r: (
            f"Round “{r.title}” drafted with the default questions.",
            reverse("surveys:round-detail", args=[r.pk]),
        ),
        title="New leadership alignment survey",
        cancel_url=reverse("surveys:round-list"),
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    back = reverse("surveys:round-detail", args=[pk])
    return form_response(
        request,
        RoundForm(posted(request), instance=survey),
        save=lambda f: services.round_update(
            user=request.user, round_id=pk, version=f.cleaned_data["version"], data=f.model_values()
        ),
        done=lambda r: (f"Round “{r.title}” saved.", back),
        title=f"Edit “{survey.title}”",
        cancel_url=back,
    )


def _detail(
    request: HtmxHttpRequest,
    survey: SurveyRound,
    *,
    question_form: QuestionForm | None = None,
    respondent_form: RespondentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    facilitator = services.can_facilitate(request.user)
    respondents = list(survey.respondents.select_related("user").order_by("side", "name", "pk"))
    mine = next((r for r in respondents if r.user_id == request.user.pk and r.revoked_at is None), None)
    return render_page(
        request,
        T + "round_detail.html",
        {
            "round": survey,
            "questions": selectors.questions_of(survey),
            "respondents": respondents if facilitator else [],
            "counts": selectors.respondent_counts(survey),
            "can_facilitate": facilitator,
            "mine": mine,
            "question_form": question_form or QuestionForm(),
            "respondent_form": respondent_form or RespondentForm(),
            # the trail names the leaders asked: the facilitator's, as the list of leaders is
            "entries": selectors.round_history(survey) if facilitator else [],
        },
        status=status,
    )


@viewer_required
@require_GET
def round_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _round(pk))


@viewer_required
@require_POST
def question_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    form = QuestionForm(request.POST)
    saved = submit(
        form,
        lambda f: services.question_add(
            user=request.user,
            round_id=pk,
            kind=f.cleaned_data["kind"],
            text=f.cleaned_data["text"],
            help_text=f.cleaned_data["help_text"],
            items=f.item_lines(),
        ),
    )
    if saved is None:
        return _detail(request, survey, question_form=form, status=form_status(form))
    messages.success(request, "Question added.")
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[pk]) + "#questions")


def _questions_changed(request: HtmxHttpRequest, round_id: int, action: Any, done: str) -> HttpResponse:
    """Run a facilitator's change to a draft round's questions. With htmx, the answer is the round's questions
    section, saying what happened or why it was refused (nothing changed then); without, a redirect to it."""
    if not wants_fragment(request):
        _act(request, action, done)
        return HttpResponseRedirect(reverse("surveys:round-detail", args=[round_id]) + "#questions")
    try:
        action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ApplicationError as error:
        return _questions_section(request, _round(round_id), error=error.message, status=422)
    return _questions_section(request, _round(round_id), done=done)


def _questions_section(
    request: HtmxHttpRequest, survey: SurveyRound, *, done: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    response = render(
        request,
        T + "round_detail.html#questions",
        {
            "round": survey,
            "questions": selectors.questions_of(survey),
            "can_facilitate": services.can_facilitate(request.user),
            "question_form": QuestionForm(),
            "questions_done": done,
            "questions_error": error,
        },
        status=status,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@viewer_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Reword a question of a draft round: a page of its own, or (htmx) a form in place of the question."""
    question = get_object_or_404(Question.objects.select_related("round", "round__program"), pk=pk)
    survey = question.round
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    back = reverse("surveys:round-detail", args=[survey.pk]) + "#questions"
    if not survey.is_draft:
        if wants_fragment(request):
            return _questions_section(
                request, survey, error="Questions can only change while the round is a draft.", status=422
            )
        messages.error(request, "Questions can only change while the round is a draft.")
        return HttpResponseRedirect(back)
    form = QuestionEditForm(posted(request), question=question)
    if request.method == "POST":
        saved = submit(
            form,
            lambda f: services.question_update(
                user=request.user,
                question_id=pk,
                text=f.cleaned_data["text"],
                help_text=f.cleaned_data["help_text"],
                expected=f.expected(),
            ),
        )
        if saved is not None:
            if wants_fragment(request):
                # the form stands in the question's place: the answer replaces the whole list
                response = _questions_section(request, _round(survey.pk), done="Question saved.")
                response["HX-Retarget"] = "#questions"
                response["HX-Reswap"] = "outerHTML"
                return response
            messages.success(request, "Question saved.")
            return HttpResponseRedirect(back)
        current = Question.objects.filter(pk=pk).values_list("text", "help_text").first()
        if current is not None:  # the next save is measured against what is stored now
            data = request.POST.copy()
            data["was_text"], data["was_help_text"] = current
            form.data = data
    return render_page(
        request,
        T + "question_edit.html",
        {"round": survey, "question": question, "form": form, "cancel_url": back},
        partial="edit-form",
        status=form_status(form) if request.method == "POST" else 200,
    )


@viewer_required
@require_POST
def question_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    direction = request.POST.get("direction", "")
    return _questions_changed(
        request,
        question.round_id,
        lambda: services.question_move(user=request.user, question_id=pk, direction=direction),
        f"Question moved {direction}.",
    )


@viewer_required
@require_POST
def question_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    return _questions_changed(
        request,
        question.round_id,
        lambda: services.question_delete(user=request.user, question_id=pk),
        "Question removed.",
    )


@viewer_required
@require_POST
def respondent_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    form = RespondentForm(request.POST)
    saved = submit(
        form,
        lambda f: services.respondent_add(
            user=request.user,
            round_id=pk,
            side=f.cleaned_data["side"],
            name=f.cleaned_data["name"],
            email=f.cleaned_data["email"],
            account=f.cleaned_data["account"],
        ),
    )
    if saved is None:
        return _detail(request, survey, respondent_form=form, status=form_status(form))
    invited = " and invited" if survey.is_open else ""
    messages.success(request, f"{saved.name} asked{invited}.")
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[pk]) + "#leaders")


def _act(request: HtmxHttpRequest, action: Any, done: str | Any) -> bool:
    """Run a facilitator's action; say what happened, or why it was refused (nothing changed then)."""
    try:
        result = action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done(result) if callable(done) else done)
    return True


@viewer_required
@require_POST
def respondent_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    respondent = get_object_or_404(Respondent, pk=pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    _act(
        request,
        lambda: services.respondent_revoke(user=request.user, respondent_id=pk),
        f"{respondent.name}'s link no longer works.",
    )
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[respondent.round_id]) + "#leaders")


@viewer_required
@require_POST
def round_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    _act(
        request,
        lambda: services.round_open(user=request.user, round_id=pk),
        lambda n: f"Round opened: {n} leader{'s' if n != 1 else ''} invited by e-mail.",
    )
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[pk]))


@viewer_required
@require_POST
def round_remind(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    _act(
        request,
        lambda: services.round_remind(user=request.user, round_id=pk),
        lambda n: (
            f"Reminder sent to {n} leader{'s' if n != 1 else ''} who have not answered."
            if n
            else "Every leader has answered: no reminder sent."
        ),
    )
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[pk]))


@viewer_required
@require_POST
def round_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _round(pk)
    require(services.can_facilitate(request.user), services.NOT_FACILITATOR)
    if _act(
        request, lambda: services.round_close(user=request.user, round_id=pk), "Round closed and analysed."
    ):
        return HttpResponseRedirect(reverse("surveys:workshop", args=[pk]))
    return HttpResponseRedirect(reverse("surveys:round-detail", args=[pk]))


# ------------------------------------------------------------------------------------------------ answering


def _answer_page(request: HtmxHttpRequest, respondent: Respondent, action: str) -> HttpResponse:
    survey = respondent.round
    questions = selectors.questions_of(survey)
    initial: dict[str, Any] = {
        f"q{qid}": text for qid, text in respondent.answers.values_list("question_id", "text")
    }
    initial.update({f"i{iid}": str(v) for iid, v in respondent.ratings.values_list("item_id", "value")})
    form = AnswerForm(posted(request), questions=questions, initial_answers=initial)
    if request.method == "POST":
        saved = submit(
            form,
            lambda f: services.respondent_answer(
                respondent_id=respondent.pk, answers=f.answers(), ratings=f.ratings()
            ),
        )
        if saved is not None:
            response = render(request, T + "answer_done.html", {"round": survey, "respondent": respondent})
            response["Cache-Control"] = "no-store"
            return response
    response = render(
        request,
        T + "answer_form.html",
        {"round": survey, "respondent": respondent, "form": form, "action": action},
        status=form_status(form) if request.method == "POST" else 200,
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the link's token is never sent to another site
    return response


def _refused(request: HtmxHttpRequest, error: ApplicationError) -> HttpResponse:
    return render(request, T + "answer_refused.html", {"message": error.message}, status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The answer form reached through a leader's personal link: no account needed."""
    try:
        respondent = services.respondent_for_token(token)
    except services.LinkRefused as error:
        return _refused(request, error)
    try:
        return _answer_page(request, respondent, request.path)
    except services.LinkRefused as error:
        return _refused(request, error)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def respond_signed_in(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The answer form of a signed-in leader whose account the facilitator named."""
    try:
        respondent = services.respondent_for_user(request.user, pk)
        return _answer_page(request, respondent, request.path)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except services.LinkRefused as error:
        return _refused(request, error)


# ------------------------------------------------------------------------------------------------ workshop


def _closed(pk: int, user: Any) -> SurveyRound:
    survey = _round(pk)
    require(services.can_read_results(user), "Your role does not allow this.")
    if not survey.is_closed:
        raise Http404("The answers are private until the facilitator closes the round.")
    return survey


def _question(survey: SurveyRound, raw: str | None) -> Question | None:
    text_questions = [q for q in survey.questions.order_by("position", "pk") if q.kind == QuestionKind.TEXT]
    if raw and raw.isdigit():
        return next(
            (q for q in text_questions if q.pk == int(raw)), text_questions[0] if text_questions else None
        )
    return text_questions[0] if text_questions else None


def _question_result(survey: SurveyRound, question: Question | None) -> dict[str, Any]:
    if question is None:
        return {}
    return next((q for q in survey.results.get("questions", []) if q["id"] == question.pk), {})


def workshop_context(survey: SurveyRound, question: Question | None) -> dict[str, Any]:
    results = survey.results or {}
    heatmap = charts.leader_heatmap(results)
    text_questions = [
        {"id": q["id"], "text": q["text"], "similarity": q["similarity"]}
        for q in results.get("questions", [])
    ]
    vocabulary = results.get("vocabulary", {})
    return {
        "round": survey,
        "results": results,
        "questions": text_questions,
        "question": question,
        "question_result": _question_result(survey, question),
        "answers": selectors.workshop_answers(survey, question) if question else {},
        "heatmap": chart_dict(
            heatmap, preview=None, csv_url=reverse("surveys:leaders-csv", args=[survey.pk])
        ),
        "vocabulary": vocabulary,
        "gaps": results.get("scale", []),
        "objectives": results.get("objectives", []),
        "semantic_status": (results.get("semantic") or {}).get("status") or semantic.status(),
        "semantic_agreement": (results.get("semantic") or {}).get("agreement"),
        "cloud_kinds": [(kind, charts.CLOUD_TITLES[kind]) for kind in CLOUD_KINDS],
        "trend": chart_dict(
            charts.agreement_trend(selectors.agreement_trend(survey.program_id), current=survey.pk),
            preview=None,
            csv_url=reverse("surveys:trend-csv", args=[survey.pk]),
        ),
    }


@viewer_required
@require_GET
def workshop(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A closed round for the leaders' workshop: per question the answers side by side with the sides'
    similarity and vocabulary; the round's agreement, leader × leader heat map, clouds, gaps and objectives."""
    survey = _closed(pk, request.user)
    question = _question(survey, request.GET.get("question"))
    return render_page(
        request, T + "workshop.html", workshop_context(survey, question), partial="question-panel"
    )


def _terms_of(survey: SurveyRound, raw_question: str | None) -> tuple[dict[str, Any], str]:
    """The vocabulary of the round, or of one of its questions (?question=<id>), and a name for files."""
    if raw_question:
        for q in survey.results.get("questions", []):
            if str(q["id"]) == raw_question:
                return q.get("vocabulary", {}), f"round-{survey.pk}-question-{q['id']}"
        raise Http404("No such question in this round.")
    return survey.results.get("vocabulary", {}), f"round-{survey.pk}"


@viewer_required
@require_GET
def cloud_png(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    survey = _closed(pk, request.user)
    if kind not in CLOUD_KINDS:
        raise Http404("No such cloud.")
    vocabulary, name = _terms_of(survey, request.GET.get("question"))
    key = f"survey-cloud:{survey.pk}:{survey.version}:{name}:{kind}"
    image = cache.get(key)
    if image is None:
        image = charts.cloud_png(vocabulary.get(kind, []), kind) or b""
        cache.set(key, image, CLOUD_CACHE_SECONDS)
    if not image:
        raise Http404("No term to draw.")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@viewer_required
@require_GET
def terms_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every term of the clouds with its count on each side and which list it is in (shared or one side's)."""
    survey = _closed(pk, request.user)
    vocabulary, name = _terms_of(survey, request.GET.get("question"))
    rows = [
        [word, stem, kind.replace("_", " "), business, it]
        for kind in CLOUD_KINDS
        for word, stem, business, it in vocabulary.get(kind, [])
    ]
    return csv_response(f"{name}-terms", ["Term", "Stem", "List", "Business count", "IT count"], rows)


@viewer_required
@require_GET
def leaders_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _closed(pk, request.user)
    chart = charts.leader_heatmap(survey.results)
    return csv_response(f"round-{survey.pk}-leader-similarity", chart.table.columns, chart.table.rows)


@viewer_required
@require_GET
def trend_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The agreement index of the closed rounds of this round's program (or of the whole portfolio)."""
    survey = _closed(pk, request.user)
    chart = charts.agreement_trend(selectors.agreement_trend(survey.program_id), current=survey.pk)
    return csv_response(f"round-{survey.pk}-agreement-trend", chart.table.columns, chart.table.rows)


def pack_context(survey: SurveyRound, *, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """The workshop pack: every text question's answers side by side with its similarity and terms, then the
    round's heat map, clouds, gaps and objectives; the clouds embedded as images."""
    base = workshop_context(survey, None)
    sections = []
    questions = {q.pk: q for q in survey.questions.all()}
    for result in survey.results.get("questions", []):
        question = questions.get(result["id"])
        if question is None:
            continue
        sections.append({"result": result, "answers": selectors.workshop_answers(survey, question)})
    return {
        **base,
        "sections": sections,
        "assets": assets or {key: static(path) for key, path in PACK_ASSETS.items()},
    }


@viewer_required
@require_GET
def pack_html(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _closed(pk, request.user)
    context = pack_context(survey)
    context["cloud_src"] = {kind: reverse("surveys:cloud", args=[survey.pk, kind]) for kind in CLOUD_KINDS}
    response = render(request, T + "pack.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_pack_pdf(survey: SurveyRound) -> bytes:
    """The workshop pack printed to PDF by headless chromium (core.printing), clouds inlined as PNG data."""
    import base64

    assets, files = print_assets(PACK_ASSETS)
    context = pack_context(survey, assets=assets)
    clouds = {}
    for kind in CLOUD_KINDS:
        image = charts.cloud_png(survey.results.get("vocabulary", {}).get(kind, []), kind)
        if image:
            clouds[kind] = "data:image/png;base64," + base64.b64encode(image).decode()
    context["cloud_src"] = clouds
    from django.template.loader import render_to_string

    html = render_to_string(T + "pack.html", context)
    footer = f"Bearing workshop pack · {survey.title} · {survey.scope_label}"
    return print_in_thread(html, footer, files, printer=print_html)


@viewer_required
@require_GET
def pack_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = _closed(pk, request.user)
    try:
        pdf = render_pack_pdf(survey)
    except Exception:  # the printer (chromium) is missing or failed: say so, never a 500
        messages.error(
            request, "The PDF could not be printed here (is chromium installed?). Use the printable page."
        )
        return HttpResponseRedirect(reverse("surveys:pack", args=[pk]))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="workshop-pack-round-{survey.pk}.pdf"'
    return response
