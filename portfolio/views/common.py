"""View helpers shared by every app: role checks, htmx-aware rendering and form submission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from portfolio import roles
from portfolio.errors import ApplicationError, NotAllowed, StaleEdit

T = TypeVar("T")
SubmissionForm = Any  # a Django form with SubmissionMixin (VersionedModelForm, DeleteForm)
View = Callable[..., HttpResponse]

NO_ROLE = "Your account has no Bearing role yet. Ask an administrator to add you to a group."


def viewer_required(view: View) -> View:
    """Logged in and holding at least one Bearing role; everyone with a role may read."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.can_view(request.user):
            raise PermissionDenied(NO_ROLE)
        return view(request, *args, **kwargs)

    return wrapped


def require(allowed: bool, message: str = "Your role does not allow this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only `partial` when htmx asks; the same URL serves both."""
    htmx = getattr(request, "htmx", None)
    # A history restore (the back button) needs the whole page, not the fragment it once swapped in.
    fragment = bool(partial and htmx and not htmx.history_restore_request)
    name = f"{template}#{partial}" if fragment else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
    request: HttpRequest,
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
    redirect to its URL; otherwise (GET, invalid, refused) render the form with its errors and status."""
    if request.method == "POST":
        saved = submit(form, save)
        if saved is not None:
            message, url = done(saved)
            messages.success(request, message)
            return redirect(url)
    return render_page(
        request,
        template,
        {"form": form, "title": title, "cancel_url": cancel_url, **(context or {})},
        status=form_status(form),
    )


def narrow_page(rows: QuerySet[Any], number: Any, per_page: int, *, count: int | None = None) -> Page:
    """One page of `rows`, ordered and paged on their primary keys alone, then only the rows shown loaded
    with everything they display (their joins and wide columns): sorting thousands of joined rows to keep
    fifty costs several times more. `count`, when the caller already has it, spares a COUNT query."""
    paginator = Paginator(rows.values_list("pk", flat=True), per_page)
    if count is not None:
        paginator.count = count  # a cached property
    page = paginator.get_page(number)
    shown = rows.in_bulk(list(page.object_list))
    page.object_list = cast("list[Any]", [shown[pk] for pk in page.object_list])
    return page
