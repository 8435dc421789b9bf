"""Pages of the events app: notifications, preferences, watching, and admins' webhooks."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import outbox, roles
from core.errors import ApplicationError
from core.redirects import is_local_path, next_url
from core.views import HtmxHttpRequest, render_page, require, viewer_required
from events import selectors, services
from events.forms import NotificationFilterForm, PreferencesForm, WatchForm, WebhookForm
from events.models import Channel, Notification, Preference, WebhookSubscription
from portfolio.models import Program

T = "events/"
ROWS_PER_PAGE = 25
LOG_ROWS_PER_PAGE = 50


@viewer_required
@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's notifications, newest first, by kind and read state; a page at a time."""
    form = NotificationFilterForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "page": None,
        "kinds": outbox.KINDS,
        "next": request.get_full_path(),
    }
    if not form.is_valid():
        return render_page(request, T + "notification_list.html", context, partial="results", status=400)
    rows = selectors.notification_list(
        request.user, kind=form.cleaned_data["kind"], state=form.cleaned_data["state"]
    )
    context["page"] = Paginator(rows, ROWS_PER_PAGE).get_page(form.cleaned_data.get("page") or 1)
    return render_page(request, T + "notification_list.html", context, partial="results")


@viewer_required
@require_GET
def bell(request: HtmxHttpRequest) -> HttpResponse:
    """The top bar's bell with the unread count (up to BELL_BOUND, then "99+"): one indexed query. Pages load
    it after themselves, so no page's own query count includes it."""
    response = render(
        request,
        T + "_bell.html",
        {"unread": selectors.unread_count(request.user), "bound": selectors.BELL_BOUND, "lazy": False},
    )
    response["Cache-Control"] = "no-store"
    return response


@viewer_required
@require_POST
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about (only one's own)."""
    notification = get_object_or_404(Notification, pk=pk, user_id=request.user.pk)
    services.notifications_read(user=request.user, ids=[notification.pk])
    target = notification.url if is_local_path(notification.url) else reverse("events:notification-list")
    if request.POST.get("stay"):
        target = next_url(request, reverse("events:notification-list"))
    return HttpResponseRedirect(target)


@viewer_required
@require_POST
def notifications_read(request: HtmxHttpRequest) -> HttpResponse:
    """Mark every notification of the user read."""
    count = services.notifications_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return HttpResponseRedirect(next_url(request, reverse("events:notification-list")))


@viewer_required
@require_http_methods(["GET", "POST"])
def preferences(request: HtmxHttpRequest) -> HttpResponse:
    """How the user hears of each kind of event: in the app, by e-mail at once, in a digest, or not."""
    current = dict(Preference.objects.filter(user=cast(Any, request.user)).values_list("kind", "channel"))
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        current=current,
        executive=roles.EXECUTIVE in roles.roles_of(request.user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preferences_set(user=request.user, channels=dict(form.cleaned_data))
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Your notification preferences are saved.")
                return HttpResponseRedirect(reverse("events:preferences"))
        status = 400
    return render_page(
        request, T + "preferences.html", {"form": form, "channels": Channel.choices}, status=status
    )


@viewer_required
@require_POST
def watch(request: HtmxHttpRequest) -> HttpResponse:
    """Watch or unwatch a record, then back to its page."""
    form = WatchForm(request.POST)
    back = next_url(request, reverse("events:watching"))
    if not form.is_valid():
        messages.error(request, "Nothing changed: that is not a record you can watch.")
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        services.watch_set(
            user=request.user,
            subject_type=data["subject_type"],
            subject_id=data["subject_id"],
            watching=data["watching"],
        )
    except ApplicationError as error:
        messages.error(request, f"Nothing changed: {error.message}")
    else:
        messages.success(
            request,
            f"You now watch this {data['subject_type']}."
            if data["watching"]
            else f"You no longer watch this {data['subject_type']}.",
        )
    return HttpResponseRedirect(back)


@viewer_required
@require_GET
def watching(request: HtmxHttpRequest) -> HttpResponse:
    """The programs, with a watch button each (programs have no page of their own), a page at a time."""
    programs = Program.objects.select_related("owner").order_by("name", "pk")
    page = Paginator(programs, ROWS_PER_PAGE).get_page(request.GET.get("page") or 1)
    chosen = selectors.watched(request.user, "program")
    unwatched = selectors.unwatched(request.user, "program")
    rows = [
        (
            program,
            program.pk in chosen or (program.owner_id == request.user.pk and program.pk not in unwatched),
        )
        for program in page.object_list
    ]
    return render_page(
        request, T + "watching.html", {"page": page, "rows": rows, "next": request.get_full_path()}
    )


# ------------------------------------------------------------------------------------------------ webhooks


def _admin(request: HtmxHttpRequest) -> None:
    require(roles.can_administer(request.user), services.ADMINS_ONLY)


@viewer_required
@require_GET
def webhook_list(request: HtmxHttpRequest) -> HttpResponse:
    _admin(request)
    page = Paginator(
        WebhookSubscription.objects.select_related("owner").order_by("name", "pk"), ROWS_PER_PAGE
    )
    return render_page(
        request,
        T + "webhook_list.html",
        {"page": page.get_page(request.GET.get("page") or 1), "kinds": outbox.KINDS},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HtmxHttpRequest) -> HttpResponse:
    _admin(request)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hook = services.webhook_create(
                user=request.user, name=data["name"], url=data["url"], kinds=data["kinds"]
            )
        except ApplicationError as error:
            for field, errors in error.field_errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return _secret_page(request, hook, created=True)
    status = 400 if request.method == "POST" else 200
    return render_page(request, T + "webhook_form.html", {"form": form, "hook": None}, status=status)


def _secret_page(request: HtmxHttpRequest, hook: WebhookSubscription, *, created: bool) -> HttpResponse:
    """The secret, shown this once (never again: later pages mask it)."""
    return render_page(request, T + "webhook_secret.html", {"hook": hook, "created": created})


@viewer_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    hook = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {
        "name": hook.name,
        "url": hook.url,
        "kinds": hook.kinds,
        "active": hook.active,
        "version": hook.version,
    }
    form = WebhookForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.webhook_update(
                user=request.user,
                webhook_id=hook.pk,
                version=data.get("version") or 0,
                name=data["name"],
                url=data["url"],
                kinds=data["kinds"],
                active=data["active"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Webhook “{data['name']}” saved.")
            return HttpResponseRedirect(reverse("events:webhook-list"))
    status = 400 if request.method == "POST" else 200
    return render_page(request, T + "webhook_form.html", {"form": form, "hook": hook}, status=status)


@viewer_required
@require_POST
def webhook_rotate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    hook = get_object_or_404(WebhookSubscription, pk=pk)
    return _secret_page(
        request, services.webhook_rotate_secret(user=request.user, webhook_id=hook.pk), created=False
    )


@viewer_required
@require_POST
def webhook_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    hook = get_object_or_404(WebhookSubscription, pk=pk)
    services.webhook_delete(user=request.user, webhook_id=hook.pk)
    messages.success(request, f"Webhook “{hook.name}” deleted.")
    return HttpResponseRedirect(reverse("events:webhook-list"))


@viewer_required
@require_GET
def webhook_log(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A webhook's attempts, newest first: status code, response time, error; a page at a time."""
    _admin(request)
    hook = get_object_or_404(WebhookSubscription, pk=pk)
    page = Paginator(selectors.webhook_log(hook.pk), LOG_ROWS_PER_PAGE).get_page(request.GET.get("page") or 1)
    return render_page(request, T + "webhook_log.html", {"hook": hook, "page": page}, partial="results")
