"""The identity provider's pages: its metadata, the sign-in (a form of its directory, then a signed response
posted back to the application), the single logout, and the tests' seeding and log endpoints."""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

_lock = threading.Lock()
PEOPLE: dict[str, dict[str, Any]] = {}
LOG: list[dict[str, Any]] = []
# Bearing's single logout address (seeded by the tests: it differs between the test client and a live server)
SERVICE: dict[str, str] = {}

NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML}


def _setting(name: str) -> str:
    """The provider's own settings (tests/saml_idp/settings.py), which Bearing's settings type knows nothing of."""
    return str(getattr(settings, name))


def entity_id() -> str:
    return f"{_setting('IDP_URL')}/metadata"


def _instant(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _certificate_body() -> str:
    return "".join(line for line in _setting("IDP_CERTIFICATE").splitlines() if "-----" not in line)


def metadata(request: HttpRequest) -> HttpResponse:
    document = f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID={quoteattr(entity_id())}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>{_certificate_body()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="{C.BINDING_HTTP_REDIRECT}" Location="{_setting("IDP_URL")}/slo"/>
    <md:SingleSignOnService Binding="{C.BINDING_HTTP_REDIRECT}" Location="{_setting("IDP_URL")}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
    return HttpResponse(document, content_type="application/samlmetadata+xml")


def _read_request(encoded: str) -> etree._Element:
    return etree.fromstring(
        OneLogin_Saml2_Utils.decode_base64_and_inflate(encoded),
        parser=etree.XMLParser(resolve_entities=False, no_network=True),
    )


def _attribute(name: str, values: list[str]) -> str:
    inner = "".join(f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue>" for value in values)
    return f"<saml:Attribute Name={quoteattr(name)}>{inner}</saml:Attribute>"


def _response(username: str, person: dict[str, Any], authn_request: etree._Element) -> str:
    """The signed response to `authn_request` for `person`; the person's `answer` entry bends it for a test:
    another audience, a validity in the past, no signature, a refusal."""
    bend = person.get("answer", {})
    now = datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(minutes=bend.get("valid_minutes", 5))
    acs = authn_request.get("AssertionConsumerServiceURL", "")
    audience = bend.get("audience") or authn_request.findtext("saml:Issuer", namespaces=NS) or ""
    in_response_to = bend.get("in_response_to", authn_request.get("ID", ""))
    status = bend.get("status", "urn:oasis:names:tc:SAML:2.0:status:Success")
    attributes = [
        _attribute("uid", [username]),
        _attribute("email", [person.get("email", "")]),
        _attribute("givenName", [person.get("first_name", "")]),
        _attribute("sn", [person.get("last_name", "")]),
        _attribute("groups", person.get("groups", [])),
    ]
    assertion = f"""<saml:Assertion ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}">
    <saml:Issuer>{escape(entity_id())}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="{C.NAMEID_UNSPECIFIED}">{escape(username)}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{_instant(until)}" Recipient={quoteattr(acs)} InResponseTo={quoteattr(in_response_to)}/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{_instant(until - datetime.timedelta(minutes=10))}" NotOnOrAfter="{_instant(until)}">
      <saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_session-{uuid.uuid4().hex}">
      <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>{"".join(attributes)}</saml:AttributeStatement>
  </saml:Assertion>"""
    success = status.endswith(":Success")
    document = f"""<samlp:Response xmlns:samlp="{C.NS_SAMLP}" xmlns:saml="{C.NS_SAML}" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" Destination={quoteattr(acs)} InResponseTo={quoteattr(in_response_to)}>
  <saml:Issuer>{escape(entity_id())}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>
  {assertion if success else ""}
</samlp:Response>"""
    if bend.get("sign", True):
        document = OneLogin_Saml2_Utils.add_sign(
            document, _setting("IDP_PRIVATE_KEY"), _setting("IDP_CERTIFICATE"), sign_algorithm=C.RSA_SHA256
        ).decode()
    return document


def sign_in(request: HttpRequest) -> HttpResponse:
    """GET: the sign-in request arrives, the form is shown. POST: the person signs in; the signed response
    goes back to the application's assertion consumer."""
    data = request.POST if request.method == "POST" else request.GET
    encoded = data.get("SAMLRequest", "")
    try:
        authn_request = _read_request(encoded)
    except Exception:
        return HttpResponseBadRequest("no readable SAMLRequest")
    context = {
        "saml_request": encoded,
        "relay_state": data.get("RelayState", ""),
        "issuer": authn_request.findtext("saml:Issuer", namespaces=NS),
        "people": sorted(PEOPLE.items()),
    }
    if request.method != "POST":
        return render(request, "sign_in.html", context)
    username = request.POST.get("username", "")
    person = PEOPLE.get(username)
    if person is None or person["password"] != request.POST.get("password"):
        return render(request, "sign_in.html", {**context, "wrong": True}, status=401)
    answer = OneLogin_Saml2_Utils.b64encode(_response(username, person, authn_request))
    context = {
        "acs": authn_request.get("AssertionConsumerServiceURL", ""),
        "saml_response": answer,
        "relay_state": data.get("RelayState", ""),
    }
    return render(request, "post_back.html", context)


def single_logout(request: HttpRequest) -> HttpResponse:
    """The application's logout request: the person's session here ends (recorded in the log) and the
    browser goes back with a logout response."""
    try:
        logout_request = _read_request(request.GET.get("SAMLRequest", ""))
    except Exception:
        return HttpResponseBadRequest("no readable SAMLRequest")
    with _lock:
        LOG.append(
            {
                "logout": logout_request.findtext("saml:NameID", namespaces=NS),
                "session_index": logout_request.findtext("samlp:SessionIndex", namespaces=NS),
                "signed": "Signature" in request.GET,
            }
        )
    now = datetime.datetime.now(datetime.UTC)
    answer = f"""<samlp:LogoutResponse xmlns:samlp="{C.NS_SAMLP}" xmlns:saml="{C.NS_SAML}" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" Destination={quoteattr(SERVICE.get("sls", ""))} InResponseTo={quoteattr(logout_request.get("ID", ""))}>
  <saml:Issuer>{escape(entity_id())}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
</samlp:LogoutResponse>"""
    query = {"SAMLResponse": OneLogin_Saml2_Utils.deflate_and_base64_encode(answer)}
    if request.GET.get("RelayState"):
        query["RelayState"] = request.GET["RelayState"]
    return HttpResponseRedirect(OneLogin_Saml2_Utils.redirect(SERVICE.get("sls", ""), query))


def _allowed(request: HttpRequest) -> bool:
    return request.headers.get("X-Seed-Token") == _setting("IDP_SEED_TOKEN")


def seed(request: HttpRequest) -> HttpResponse:
    """Set up what a test needs: people of the directory (password, groups, names, and how to bend their
    next answers) and Bearing's logout address. Only with the token the tests started the provider with."""
    if request.method != "POST" or not _allowed(request):
        return HttpResponse(status=403)
    data = json.loads(request.body)
    with _lock:
        for person in data.get("users", []):
            PEOPLE[person["username"]] = person
        SERVICE.update(data.get("service", {}))
    return JsonResponse({"ok": True})


def log(request: HttpRequest) -> HttpResponse:
    """What the provider was asked to do (the logouts), for the tests to read."""
    if not _allowed(request):
        return HttpResponse(status=403)
    with _lock:
        return JsonResponse({"log": list(LOG)})
