"""View helpers shared by every app: role checks, htmx-aware rendering and form submission."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import redis
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from core import choices, formatting, jobs, roles
from core.errors import ApplicationError, NotAllowed, StaleEdit
from core.models import Job
from core.redirects import next_url

T = TypeVar("T")
SubmissionForm = Any  # a Django form with SubmissionMixin (VersionedModelForm, DeleteForm)
View = Callable[..., HttpResponse]
R = TypeVar("R", bound=HttpResponseBase)  # a page, or a download (streamed or a file)


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: `request.htmx` says what htmx asked for."""

    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """htmx asked for part of a page (a swap or an action's answer): answer with the fragment. A history
    restore (the back button with htmx's history cache off) needs the whole page, chrome included."""
    return bool(request.htmx) and not request.htmx.history_restore_request


NO_ROLE = "Your account has no Bearing role yet. Ask an administrator to add you to a group."


def viewer_required(view: Callable[..., R]) -> Callable[..., R]:
    """Logged in and holding at least one Bearing role; everyone with a role may read."""

    @login_required
    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> R:
        if not roles.can_view(request.user):
            raise PermissionDenied(NO_ROLE)
        return view(request, *args, **kwargs)

    return wrapped


def require(allowed: bool, message: str = "Your role does not allow this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def render_page(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only `partial` when htmx asks; the same URL serves both."""
    fragment = bool(partial) and wants_fragment(request)
    name = f"{template}#{partial}" if fragment else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# What a shared page holds in place of the one thing per person in it (a page cached for everyone with the
# same roles): the CSRF token and the name in the navigation bar, filled in for each request.
CSRF_MARK = "__bearing_csrf_token__"
NAME_MARK = "__bearing_user_display__"
PAGE_CACHE_SECONDS = 600
SHARED_PAGE_PREFIX = "page:"


def _pages_prefix() -> str:
    """The start of the keys of the pages shared_page() keeps for this database: one cache may serve several
    (tests run in parallel, each on its own database, share one Redis)."""
    database = hashlib.sha256(str(connection.settings_dict["NAME"]).encode()).hexdigest()[:16]
    return f"{SHARED_PAGE_PREFIX}{database}:"


def forget_shared_pages() -> None:
    """Drop the pages shared_page() kept for this database (each test starts without them; a benchmark times
    first views). A cache in the process is emptied; in a Redis cache, shared with other processes, only the
    keys of this database's pages go: another test process's pages stay."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()
        return
    try:
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]  # django's RedisCache
        keys = list(client.scan_iter(match=backend.make_key(f"{_pages_prefix()}*"), count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError:  # Redis away: nothing is kept there either
        pass


def shared_page(
    request: HtmxHttpRequest, key: str, render_page_for: Callable[[dict[str, str]], HttpResponse]
) -> HttpResponse:
    """A page the same for everyone with the same roles, rendered once and served from the cache.

    `key` names what the page shows (the caller includes its data's time stamp, so a change is a new key);
    the roles, whether htmx asks for a fragment, the static files' names (a deploy) and the database are added
    here.
    `render_page_for(marks)` renders the page with `marks` in its context: the placeholders of the CSRF token
    and the user's name, which each request gets its own of. A request with messages to show is rendered
    for itself.
    """
    if len(messages.get_messages(request)):
        return render_page_for({})
    parts = [
        key,
        ",".join(sorted(roles.roles_of(request.user))),
        str(wants_fragment(request)),
        static("js/charts.js"),  # a deploy (its static files' names) starts afresh
    ]
    cache_key = _pages_prefix() + hashlib.sha256("|".join(parts).encode()).hexdigest()
    content = cache.get(cache_key)
    if content is None:
        response = render_page_for({"csrf_token": CSRF_MARK, "user_display": NAME_MARK})
        if response.status_code != 200:
            return response
        content = response.content.decode(response.charset)
        cache.set(cache_key, content, PAGE_CACHE_SECONDS)
    page = content.replace(CSRF_MARK, get_token(request)).replace(
        NAME_MARK, escape(formatting.person(request.user))
    )
    response = HttpResponse(page)
    patch_vary_headers(response, ["HX-Request"])
    return response


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST, even an empty one (every field missing, so the form says so),
    and None for a GET (a fresh form). `request.POST or None` would take an empty POST for a GET."""
    return request.POST if request.method == "POST" else None


def submit(form: SubmissionForm, action: Callable[[Any], T]) -> T | None:
    """Validate the form and run the service; on refusal, put the reasons on the form and return None."""
    if not form.is_valid():
        return None
    try:
        return action(form)
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except StaleEdit as error:
        form.show_stale(error)
    except ApplicationError as error:
        form.add_application_error(error)
    return None


def form_status(form: SubmissionForm) -> int:
    """409 when the record changed under the user, 422 for other invalid input, 200 for a fresh form."""
    if form.stale:
        return 409
    return 422 if form.is_bound else 200


def form_response(
    request: HtmxHttpRequest,
    form: SubmissionForm,
    *,
    save: Callable[[Any], Any],
    done: Callable[[Any], tuple[str, str]],
    title: str,
    cancel_url: str,
    template: str = "portfolio/simple_form.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The whole create/edit round trip: on POST run `save`; when it succeeds, flash done()'s message and
    redirect to its URL, or to the page that sent the user here (a local `next`, e.g. the worklist);
    otherwise (GET, invalid, refused) render the form with its errors and status. The form posts to its own
    URL, so `next` rides along in the query string."""
    if request.method == "POST":
        saved = submit(form, save)
        if saved is not None:
            message, url = done(saved)
            messages.success(request, message)
            return HttpResponseRedirect(next_url(request, url))
    return render_page(
        request,
        template,
        {"form": form, "title": title, "cancel_url": next_url(request, cancel_url), **(context or {})},
        status=form_status(form),
    )


@viewer_required
@require_GET
def job_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress bar of one job, whichever app runs it; it polls itself while the job is queued or running
    and, once done, links to the result when its kind has one."""
    job = jobs.job_refreshed(get_object_or_404(Job, pk=pk))
    return render_page(request, JOB_TEMPLATE, job_context(job, reload=request.GET.get("reload") == "1"))


JOB_TEMPLATE = "core/_job.html"


def job_context(job: Job | None, *, reload: bool = False, no_job: str = "") -> dict[str, Any]:
    """What core/_job.html needs to show a job's progress bar (and, once done, its result)."""
    return {
        "job": job,
        "reload": reload,
        "done_link": jobs.done_link(job) if job is not None else None,
        "no_job": no_job,
    }


@viewer_required
@require_GET
def choice_options(request: HtmxHttpRequest, key: str) -> HttpResponse:
    """The options of a long list (core.choices) that match what was typed in its search box, as the
    <option> elements that replace the list's: the first SHOWN of them, and the one chosen."""
    source = choices.source(key)
    if source is None:
        raise Http404("No such list.")
    query = request.GET.get("search", "").replace("\x00", "").strip()[: choices.SEARCH_MAX_LENGTH]
    field = request.GET.get("field", "")
    selected = request.GET.getlist(field)[:1] if field.isidentifier() else []
    options, more = source.options(query, selected)
    empty = request.GET.get("empty", "")[:100]
    return HttpResponse(
        choices.options_html(options, selected, empty_label=empty, more=more, searched=bool(query))
    )
