"""Account management for admins (list, invite, roles, deactivate), the audit log, a user's own sessions with
"sign out everywhere", and accepting an invitation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from core import roles
from core.errors import ApplicationError, NotAllowed
from core.paging import capped_page
from core.redirects import safe_next
from core.sign_in import PASSWORDS_OFF, local_passwords_on
from core.views import HtmxHttpRequest, form_response, posted, render_page, require
from identity import selectors, services, two_factor
from identity.forms import AccountFilterForm, AuditFilterForm, ChoosePasswordForm, InviteForm, RolesForm
from identity.receivers import ENDING_ATTRIBUTE
from identity.signin import CodeForm
from identity.tokens import invitation_tokens

User = get_user_model()

PER_PAGE = 50
TWO_FACTOR_ACTIONS = ("enrol", "verify", "renew", "off")
INVITATION_SESSION_KEY = "identity_invitation"  # a checked invitation link, kept out of the page's URL
INVITATION_URL_TOKEN = "choose-password"


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the login page) and an admin (else 403): accounts are the admins' business."""

    @login_required
    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(roles.can_administer(request.user), services.ADMIN_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


def _run(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run one account action: flash `done`, or the reason it was refused."""
    try:
        action()
    except NotAllowed as error:
        raise PermissionDenied(error.message) from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


# ---------------------------------------------------------------------------------------------- the accounts


@admin_required
@require_GET
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every account, searchable, with its roles, status and last sign-in; a bounded page at a time."""
    form = AccountFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "page": None}
        return render_page(request, "identity/account_list.html", context, partial="results", status=400)
    values = form.cleaned_data
    rows = selectors.account_list(search=values["q"], status=values["status"], role=values["role"])

    def load(users: list[Any]) -> list[Any]:
        prefetch_related_objects(users, "groups")
        return [(user, sorted(services.roles_held(user), key=roles.ALL_ROLES.index)) for user in users]

    page = capped_page(rows, values.get("page") or 1, PER_PAGE, load=load)
    return render_page(request, "identity/account_list.html", {"form": form, "page": page}, partial="results")


@admin_required
@require_http_methods(["GET", "POST"])
def account_invite(request: HtmxHttpRequest) -> HttpResponse:
    """Invite someone by e-mail: their account is created with the chosen roles and no password; the e-mail
    carries a one-time link to choose one."""
    return form_response(
        request,
        InviteForm(posted(request)),
        save=lambda f: services.account_invite(
            actor=request.user,
            username=f.cleaned_data["username"],
            email=f.cleaned_data["email"],
            first_name=f.cleaned_data["first_name"],
            last_name=f.cleaned_data["last_name"],
            role_names=f.cleaned_data["roles"],
            request=request,
        ),
        done=lambda user: (
            f"Invitation sent to {user.email}.",
            reverse("identity:account-detail", args=[user.pk]),
        ),
        title="Invite someone",
        cancel_url=reverse("identity:account-list"),
        template="identity/account_invite.html",
        context={"invitation_days": settings.BEARING_INVITATION_DAYS},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def account_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One account: its roles (a form), status, last sign-in, signed-in sessions and latest events."""
    account = get_object_or_404(User.objects.prefetch_related("groups"), pk=pk)
    form = RolesForm(posted(request), initial={"roles": sorted(services.roles_held(account))})
    if request.method == "POST" and form.is_valid():
        try:
            services.account_set_roles(
                actor=request.user, user_id=pk, role_names=form.cleaned_data["roles"], request=request
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, f"Roles of {account.get_username()} saved.")
            return HttpResponseRedirect(reverse("identity:account-detail", args=[pk]))
    context = {
        "account": account,
        "form": form,
        "held": sorted(services.roles_held(account), key=roles.ALL_ROLES.index),
        "pending": services.invitation_pending(account),
        "sessions": selectors.sessions_of(account),
        "events": selectors.account_events(account),
        "is_self": account.pk == request.user.pk,
        "two_factor": two_factor.enabled(account),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render_page(request, "identity/account_detail.html", context, status=status)


def _account_action(request: HttpRequest, pk: int, action: Callable[[], Any], done: str) -> HttpResponse:
    get_object_or_404(User, pk=pk)
    _run(request, action, done)
    return HttpResponseRedirect(reverse("identity:account-detail", args=[pk]))


@admin_required
@require_POST
def account_deactivate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda: services.account_deactivate(actor=request.user, user_id=pk, request=request),
        "Account deactivated: it can no longer sign in, and its sessions have ended.",
    )


@admin_required
@require_POST
def account_reactivate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda: services.account_reactivate(actor=request.user, user_id=pk, request=request),
        "Account reactivated: it can sign in again.",
    )


@admin_required
@require_POST
def account_resend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda: services.invitation_resend(actor=request.user, user_id=pk, request=request),
        "Invitation sent again; the earlier link no longer works.",
    )


@admin_required
@require_POST
def account_sign_out(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """End every session of another account (one's own: the security page)."""
    account = get_object_or_404(User, pk=pk)
    if account.pk == request.user.pk:
        return redirect("identity:security")
    return _account_action(
        request,
        pk,
        lambda: services.sessions_end_all(user=account, actor=request.user, request=request),
        f"{account.get_username()} is signed out everywhere.",
    )


# ------------------------------------------------------------------------------------------------ audit log


@admin_required
@require_GET
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    """Sign-ins, failed sign-ins, sign-outs and account changes, newest first, a bounded page at a time."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render_page(
            request, "identity/audit_list.html", {"form": form, "page": None}, partial="results", status=400
        )
    values = form.cleaned_data
    rows = selectors.audit_list(search=values["q"], kind=values["kind"])
    page = capped_page(rows, values.get("page") or 1, PER_PAGE)
    return render_page(request, "identity/audit_list.html", {"form": form, "page": page}, partial="results")


# ------------------------------------------------------------------------------------------ one's own sessions


@login_required
@require_GET
def security(request: HtmxHttpRequest) -> HttpResponse:
    """The user's own signed-in browsers, and the button that signs them all out."""
    context = {
        "sessions": selectors.sessions_of(request.user),
        "current_key": request.session.session_key,
        "two_factor": two_factor.enabled(request.user),
    }
    return render_page(request, "identity/security.html", context)


@login_required
@require_POST
def sign_out_everywhere(request: HtmxHttpRequest) -> HttpResponse:
    """Sign the user out of every browser, this one included."""
    services.sessions_end_all(user=request.user, actor=request.user, request=request)
    setattr(request, ENDING_ATTRIBUTE, None)  # recorded above, as one event
    logout(request)
    messages.success(request, "You are signed out everywhere.")
    return redirect("login")


# ------------------------------------------------------------------------------------------------ invitations


def _invited(uidb64: str) -> Any:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < pk < 2**63:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invited person chooses their password. The link's token is checked, then kept in the session and
    the page moves to a URL without it (so it never leaks in a Referer header), as Django's password reset
    does. Once the password is set the link no longer works."""
    if not local_passwords_on():  # the invited person signs in through the identity provider instead
        messages.info(request, PASSWORDS_OFF)
        return redirect("login")
    user = _invited(uidb64)
    if token != INVITATION_URL_TOKEN:
        if user is not None and invitation_tokens.check_token(user, token):
            request.session[INVITATION_SESSION_KEY] = token
            return HttpResponseRedirect(
                reverse("identity:invitation-accept", args=[uidb64, INVITATION_URL_TOKEN])
            )
        return render(request, "identity/invitation_accept.html", {"valid": False}, status=404)
    kept = request.session.get(INVITATION_SESSION_KEY, "")
    if user is None or not invitation_tokens.check_token(user, kept):
        return render(request, "identity/invitation_accept.html", {"valid": False}, status=404)
    form = ChoosePasswordForm(user, posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user.set_password(form.cleaned_data["new_password2"])
            user.save(update_fields=["password"])
            services.invitation_accepted(user=user, request=request)
        del request.session[INVITATION_SESSION_KEY]
        messages.success(request, "Your password is set. Sign in with your username and it.")
        return redirect("login")
    context = {"valid": True, "form": form, "invited": user}
    return render(request, "identity/invitation_accept.html", context, status=422 if form.is_bound else 200)


# ------------------------------------------------------------------------------------------- second factor


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_page(request: HtmxHttpRequest) -> HttpResponse:
    """The user's second factor: enrol an authenticator app (QR code, then a code to confirm), verify this
    session, make new recovery codes, or turn it off. Recovery codes are shown once, in the answer that
    makes them."""
    user = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action not in TWO_FACTOR_ACTIONS:
        action = ""
    forms = {name: CodeForm(auto_id=f"{name}_%s") for name in TWO_FACTOR_ACTIONS}
    codes: list[str] = []
    if action:
        form = forms[action] = CodeForm(request.POST, auto_id=f"{action}_%s")
        code = form.cleaned_data["code"] if form.is_valid() else None
        try:
            if code is None:
                pass
            elif action == "enrol":
                codes = two_factor.enrol_confirm(request=request, user=user, code=code)
                forms[action] = CodeForm(auto_id=f"{action}_%s")
                messages.success(request, "The second factor is on.")
            elif action == "verify":
                if not _verify_session(request, code):
                    raise ApplicationError(
                        "That code is not right.", field_errors={"code": ["That code is not right."]}
                    )
                return HttpResponseRedirect(safe_next(request, request.POST.get("next"), reverse("home")))
            elif action == "renew":
                codes = two_factor.recovery_codes_renew(request=request, user=user, code=code)
                forms[action] = CodeForm(auto_id=f"{action}_%s")
                messages.success(request, "New recovery codes made: the old ones no longer work.")
            else:
                two_factor.turn_off(request=request, actor=user, user=user, code=code)
                messages.success(request, "The second factor is off.")
                return redirect("identity:two-factor")
        except ApplicationError as error:
            form.add_application_error(error)
    enabled = two_factor.enabled(user)
    context: dict[str, Any] = {
        "forms": forms,
        "form": forms[action] if action else None,
        "codes": codes,
        "enabled": enabled,
        "verified": user.is_verified(),  # type: ignore[union-attr]
        "required": two_factor.required_for(user),
        "next": safe_next(request, request.GET.get("next") or request.POST.get("next"), ""),
    }
    if enabled:
        context["codes_left"] = two_factor.recovery_codes_left(user)
    else:
        device = two_factor.enrolment_device(user)
        context.update(qr=two_factor.qr_code_data_uri(device), secret=two_factor.secret_text(device))
    refused = bool(action) and forms[action].is_bound and bool(forms[action].errors)
    return render_page(request, "identity/two_factor.html", context, status=422 if refused else 200)


def _verify_session(request: HttpRequest, code: str) -> bool:
    """A session signed in without the second factor (before it was required) verified with a code now."""
    found = two_factor.verify(user=request.user, code=code)
    if found is None:
        return False
    otp_login(request, found[0])
    return True


@admin_required
@require_POST
def account_two_factor_off(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """An admin removes someone's second factor (a lost phone); they enrol again at their next sign-in."""
    account = get_object_or_404(User, pk=pk)
    if account.pk == request.user.pk:
        return redirect("identity:two-factor")
    return _account_action(
        request,
        pk,
        lambda: two_factor.turn_off(request=request, actor=request.user, user=account),
        f"The second factor of {account.get_username()} is off.",
    )
