"""Signing in through a SAML 2.0 identity provider (python3-saml): the sign-in request goes to the provider by
the redirect binding, its signed answer comes back to the assertion consumer by the POST binding. The answer
is checked (signature, audience, destination, time conditions, the request it answers), and then the account
is found or made, and its roles follow the groups attribute, exactly as for OpenID Connect
(identity.provider). Every failure sends the person back to the login page with a plain message and is
written to the audit log.

The requests a browser started are kept in a signed cookie of their own rather than in the session: the
provider's answer arrives as a cross-site POST, which browsers send without the session cookie (SameSite=Lax).
Over https that cookie is SameSite=None, so it comes along; when it does not (plain http, a stricter browser),
Bearing answers with a page of its own that posts the answer again, from this site, with the cookies.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from core.redirects import safe_next
from identity import provider
from identity.provider import ANSWER_MISMATCH, STATE_MISMATCH, UNREACHABLE, Refused, failed
from identity.receivers import FAILURE_ATTRIBUTE, SIGN_IN_DETAIL_ATTRIBUTE

BACKEND_PATH = "identity.saml.SamlBackend"
UNREADABLE = (
    "The sign-in could not be completed: the identity provider's answer could not be read. Sign in again."
)
SIGNED_OUT = "You are signed out, here and at the identity provider."

# The sign-in requests this browser started (their ids and where to go after), in a signed cookie.
PENDING_COOKIE = "bearing_saml_pending"
PENDING_SALT = "identity.saml.pending"
PENDING_SECONDS = 600
PENDING_KEPT = 5
# An assertion id seen once is refused for this long (longer than any assertion here is valid).
USED_SECONDS = 24 * 3600
LOGOUT_REQUEST_SESSION_KEY = "saml_logout_request"
# The field that marks an answer posted again from Bearing's own page (see assertion_consumer).
CONTINUED = "continued"


class ProviderUnavailable(Exception):
    pass


_metadata: dict[str, dict[str, Any]] = {}
_metadata_lock = threading.Lock()


def _idp_from_metadata(url: str) -> dict[str, Any]:
    """The identity provider's entity ID, addresses and certificates, read from its metadata once per
    process."""
    with _metadata_lock:
        found = _metadata.get(url)
        if found is not None:
            return found
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(
                url, timeout=settings.BEARING_SAML_TIMEOUT, validate_cert=True
            )
        except Exception as error:  # urllib, XML and metadata errors alike: the provider is unusable
            raise ProviderUnavailable(f"metadata unreadable ({type(error).__name__})") from None
        idp = parsed.get("idp")
        if not isinstance(idp, dict) or not idp.get("entityId") or not idp.get("singleSignOnService"):
            raise ProviderUnavailable("the metadata names no identity provider with a sign-in address")
        _metadata[url] = idp
        return idp


def forget_metadata() -> None:
    with _metadata_lock:
        _metadata.clear()


def _site(path: str) -> str:
    return settings.BEARING_BASE_URL.rstrip("/") + path


def sp_entity_id() -> str:
    return settings.BEARING_SAML_SP_ENTITY_ID or _site(reverse("identity:saml-metadata"))


def _idp() -> dict[str, Any]:
    if settings.BEARING_SAML_IDP_METADATA_URL:
        return _idp_from_metadata(settings.BEARING_SAML_IDP_METADATA_URL)
    idp: dict[str, Any] = {
        "entityId": settings.BEARING_SAML_IDP_ENTITY_ID,
        "singleSignOnService": {
            "url": settings.BEARING_SAML_IDP_SSO_URL,
            "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        },
        "x509cert": settings.BEARING_SAML_IDP_X509_CERT,
    }
    if settings.BEARING_SAML_IDP_SLO_URL:
        idp["singleLogoutService"] = {
            "url": settings.BEARING_SAML_IDP_SLO_URL,
            "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        }
    return idp


def saml_settings(*, with_idp: bool = True) -> dict[str, Any]:
    """python3-saml's settings: Bearing's side from its base URL, the provider's from the environment or its
    metadata. Strict: every answer must be signed (response or assertion), for this entity ID, this address,
    within its time conditions; no deprecated algorithm."""
    signs = bool(settings.BEARING_SAML_SP_PRIVATE_KEY)
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id(),
            "assertionConsumerService": {
                "url": _site(reverse("identity:saml-acs")),
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "singleLogoutService": {
                "url": _site(reverse("identity:saml-sls")),
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
            "x509cert": settings.BEARING_SAML_SP_X509_CERT,
            "privateKey": settings.BEARING_SAML_SP_PRIVATE_KEY,
        },
        "idp": _idp() if with_idp else {"entityId": "", "singleSignOnService": {"url": ""}, "x509cert": ""},
        "security": {
            "authnRequestsSigned": signs,
            "logoutRequestSigned": signs,
            "logoutResponseSigned": signs,
            "wantAssertionsSigned": False,  # the response's signature covers it; one of the two is required
            "wantMessagesSigned": False,
            "wantNameId": not settings.BEARING_SAML_USERNAME_ATTRIBUTE,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
            "rejectUnsolicitedResponsesWithInResponseTo": True,
            "allowSingleLabelDomains": True,  # an intranet host name (http://bearing/) is a fine address
        },
    }


def _request_data(request: HttpRequest) -> dict[str, Any]:
    """The request as python3-saml reads it, on Bearing's public address (BEARING_BASE_URL): the destination
    an answer names must be that address, whatever proxy the request came through."""
    base = urlsplit(settings.BEARING_BASE_URL)
    return {
        "https": "on" if base.scheme == "https" else "off",
        "http_host": base.netloc,
        "script_name": request.path,
        "get_data": request.GET.copy(),
        "post_data": request.POST.copy(),
    }


def _auth(request: HttpRequest) -> OneLogin_Saml2_Auth:
    try:
        return OneLogin_Saml2_Auth(_request_data(request), old_settings=saml_settings())
    except OneLogin_Saml2_Error as error:  # what the metadata said cannot be used
        raise ProviderUnavailable(f"unusable settings ({error})"[:200]) from None


def _pending(request: HttpRequest) -> dict[str, str]:
    raw = request.get_signed_cookie(PENDING_COOKIE, default=None, salt=PENDING_SALT, max_age=PENDING_SECONDS)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _cookie_path() -> str:
    """/identity/saml/: the sign-in start (which adds to the pending requests) and the assertion consumer."""
    return reverse("identity:saml-acs").removesuffix("acs/")


def _keep_pending(request: HttpRequest, response: HttpResponse, pending: dict[str, str]) -> None:
    if not pending:
        response.delete_cookie(PENDING_COOKIE, path=_cookie_path())
        return
    secure = request.is_secure()
    response.set_signed_cookie(
        PENDING_COOKIE,
        json.dumps(pending),
        salt=PENDING_SALT,
        max_age=PENDING_SECONDS,
        path=_cookie_path(),
        secure=secure,
        httponly=True,
        # the answer is a cross-site POST: only SameSite=None sends the cookie with it (and needs https)
        samesite="None" if secure else "Lax",
    )


class SamlBackend(ModelBackend):
    """The SAML side of a sign-in. Answers only the assertion consumer's authenticate() call (the one with a
    checked answer), never a password sign-in."""

    def authenticate(self, request: Any, saml_answer: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if not settings.BEARING_SAML_ENABLED or request is None or saml_answer is None:
            return None
        attributes: dict[str, list[Any]] = saml_answer.get_attributes()
        name = settings.BEARING_SAML_USERNAME_ATTRIBUTE
        return provider.account_signed_in(
            request,
            username=attributes.get(name) if name else saml_answer.get_nameid(),
            source=f"{name!r} attribute" if name else "NameID",
            email=_first(attributes, EMAIL_ATTRIBUTES),
            first_name=_first(attributes, FIRST_NAME_ATTRIBUTES),
            last_name=_first(attributes, LAST_NAME_ATTRIBUTES),
            groups=attributes.get(settings.BEARING_SAML_GROUPS_ATTRIBUTE),
            rule=settings.BEARING_SAML_ROLE_MAP,
        )


# The attributes the providers name these with (SAML/LDAP, Entra ID and ADFS, Okta and Keycloak).
EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "urn:oid:1.2.840.113549.1.9.1",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
)
FIRST_NAME_ATTRIBUTES = (
    "firstName",
    "givenName",
    "given_name",
    "urn:oid:2.5.4.42",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
)
LAST_NAME_ATTRIBUTES = (
    "lastName",
    "sn",
    "surname",
    "family_name",
    "urn:oid:2.5.4.4",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
)


def _first(attributes: dict[str, list[Any]], names: tuple[str, ...]) -> str:
    for name in names:
        value = provider.text(attributes.get(name))
        if value:
            return value
    return ""


def _enabled() -> None:
    if not settings.BEARING_SAML_ENABLED:
        raise Http404


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Bearing's service provider metadata (entity ID, assertion consumer, logout address, its certificate),
    for registering Bearing at the provider."""
    _enabled()
    document = OneLogin_Saml2_Settings(
        saml_settings(with_idp=False), sp_validation_only=True
    ).get_sp_metadata()
    return HttpResponse(document, content_type="application/samlmetadata+xml")


@require_GET
def sign_in_start(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the provider with a sign-in request (redirect binding); its id and the page to
    come back to (`next`, a path of this site) are kept for the answer."""
    _enabled()
    try:
        saml = _auth(request)
    except ProviderUnavailable as error:
        return failed(request, Refused(str(error), message=UNREACHABLE))
    target = saml.login()
    pending = _pending(request)
    pending[saml.get_last_request_id()] = safe_next(request, request.GET.get("next"), "")
    response = HttpResponseRedirect(target)
    _keep_pending(request, response, dict(list(pending.items())[-PENDING_KEPT:]))
    return response


def _answered_request(saml: OneLogin_Saml2_Auth, encoded: str) -> str | None:
    """The id of the sign-in request the (not yet checked) answer says it answers; None when unreadable."""
    try:
        answer = OneLogin_Saml2_Response(saml.get_settings(), encoded)
        value = answer.document.get("InResponseTo")
    except Exception:  # base64, XML and python3-saml's own errors: the answer cannot be read
        return None
    return value if isinstance(value, str) else ""


@csrf_exempt  # posted by the provider's page; the answer's signature and the pending request stand for CSRF
@require_http_methods(["GET", "POST"])
def assertion_consumer(request: HttpRequest) -> HttpResponse:
    """The provider's answer (POST binding). It must answer a request this browser started and not used yet,
    be signed by the provider, name Bearing as audience and this address as destination, be within its time
    conditions, and not have been used before; then the account must be active."""
    _enabled()
    encoded = request.POST.get("SAMLResponse", "")
    if encoded and PENDING_COOKIE not in request.COOKIES and request.POST.get(CONTINUED) != "1":
        # a cross-site POST that came without Bearing's cookies: posted again from this site, it brings them
        context = {"saml_response": encoded, "relay_state": request.POST.get("RelayState", "")}
        return render(request, "identity/saml_continue.html", context)
    pending = _pending(request)
    response = _consume(request, pending, encoded)
    _keep_pending(request, response, pending)
    return response


def _consume(request: HttpRequest, pending: dict[str, str], encoded: str) -> HttpResponse:
    if not encoded:
        return failed(request, Refused("no SAML response", message=UNREADABLE))
    try:
        saml = _auth(request)
    except ProviderUnavailable as error:
        return failed(request, Refused(str(error), message=UNREACHABLE))
    answered = _answered_request(saml, encoded)
    if answered is None:
        return failed(request, Refused("unreadable response", message=UNREADABLE))
    if not answered or answered not in pending:
        return failed(request, Refused("InResponseTo did not match", message=STATE_MISMATCH))
    after = pending.pop(answered)  # used once, whatever follows
    try:
        saml.process_response(request_id=answered)
    except Exception:  # python3-saml raises from deep in its parsing on malformed answers
        return failed(request, Refused("unreadable response", message=UNREADABLE))
    if saml.get_errors() or not saml.is_authenticated():
        reason = saml.get_last_error_reason() or "invalid response"
        message = provider.REFUSED if "status code" in reason else ANSWER_MISMATCH
        return failed(request, Refused(reason[:200], message=message))
    assertion = saml.get_last_assertion_id() or saml.get_last_message_id()
    if not assertion or not cache.add(f"identity:saml-used:{assertion}", 1, USED_SECONDS):
        return failed(request, Refused("response already used", message=STATE_MISMATCH))
    user = auth.authenticate(request=request, saml_answer=saml)
    if user is None or not user.is_active:
        # recorded by the failed-sign-in signal (identity.receivers), with the reason set by the backend
        refused = getattr(request, FAILURE_ATTRIBUTE, None) or Refused("refused")
        messages.error(request, refused.message)
        return HttpResponseRedirect(resolve_url("login"))
    setattr(request, SIGN_IN_DETAIL_ATTRIBUTE, provider.SIGNED_IN_DETAIL)
    auth.login(request, user)
    request.session[provider.SIGN_OUT_SESSION_KEY] = {
        "protocol": "saml",
        "name_id": saml.get_nameid(),
        "name_id_format": saml.get_nameid_format(),
        "name_id_nq": saml.get_nameid_nq(),
        "name_id_spnq": saml.get_nameid_spnq(),
        "session_index": saml.get_session_index(),
    }
    return HttpResponseRedirect(safe_next(request, after, resolve_url(settings.LOGIN_REDIRECT_URL)))


def logout_url(request: HttpRequest, plan: dict[str, Any]) -> tuple[str, str] | None:
    """The provider's single logout address with a logout request for this session, and the request's id;
    None when the provider has no single logout."""
    if not settings.BEARING_SAML_ENABLED:
        return None
    try:
        saml = _auth(request)
    except ProviderUnavailable:
        return None
    if not saml.get_settings().get_idp_slo_url():
        return None
    try:
        target = saml.logout(
            return_to=_site(resolve_url("login")),
            name_id=plan.get("name_id"),
            session_index=plan.get("session_index"),
            name_id_format=plan.get("name_id_format"),
            nq=plan.get("name_id_nq"),
            spnq=plan.get("name_id_spnq"),
        )
    except OneLogin_Saml2_Error:  # the session's NameID cannot make a request: sign out here only
        return None
    return target, saml.get_last_request_id()


@require_GET
def single_logout(request: HttpRequest) -> HttpResponse:
    """The provider's answer to Bearing's logout request (the session here already ended): it must answer
    the request this browser sent. A logout the provider starts itself is not supported."""
    _enabled()
    sent = request.session.pop(LOGOUT_REQUEST_SESSION_KEY, None)
    if "SAMLResponse" not in request.GET or not sent:
        return HttpResponseRedirect(resolve_url("login"))
    try:
        saml = _auth(request)
        saml.process_slo(request_id=sent, keep_local_session=True)
        errors = saml.get_errors()
    except Exception:  # unreadable answers and an unreachable metadata document alike
        errors = ["unreadable"]
    if not errors:
        messages.success(request, SIGNED_OUT)
    return HttpResponseRedirect(resolve_url("login"))
