"""Signing in through a real SAML 2.0 identity provider (tests/saml_idp, in a process of its own, signing its
responses with a certificate made for the run): a new employee's account is made with the roles of their
groups, the roles follow the groups at each sign-in, and a response that is tampered with, unsigned, for
another audience, expired, replayed or answering no request of this browser is refused with a plain message
and written to the audit log, with no account made."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from lxml import etree

from core import roles
from identity import provider, saml
from identity.models import AuditEvent, EventKind
from identity.saml_config import certificate_body
from identity.services import roles_held
from tests.factories import UserFactory
from tests.identity.saml_flow import decoded, encoded, post_answer, provider_answer, sign_in_through_idp
from tests.identity.support import events, messages_of
from tests.saml_idp.fixtures import key_and_certificate

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_a_new_employee_signs_in_and_gets_the_roles_of_their_groups(client, saml_settings):
    # given Nina of the directory, in the portfolio office and a group Bearing does not map
    saml_settings.person(
        "nina",
        groups=["portfolio-office", "canteen"],
        email="nina@example.org",
        first_name="Nina",
        last_name="Newhire",
    )
    # when she signs in through the identity provider
    response = sign_in_through_idp(client, saml_settings, "nina")
    # then she lands on the home page, signed in, with an account made from her attributes and the PMO role
    assert response.status_code == 302
    assert response["Location"] == "/"
    nina = User.objects.get(username="nina")
    assert (nina.email, nina.first_name, nina.last_name) == ("nina@example.org", "Nina", "Newhire")
    assert not nina.has_usable_password()
    assert roles_held(nina) == {roles.PMO}
    assert client.get("/").wsgi_request.user == nina
    assert events() == [
        (EventKind.CREATED_BY_PROVIDER, "nina", "by the identity provider"),
        (EventKind.ROLES_CHANGED, "nina", "no role → PMO (the identity provider's groups)"),
        (EventKind.SIGN_IN, "nina", "through the identity provider"),
    ]


def test_the_roles_follow_the_groups_at_the_next_sign_in(client, saml_settings):
    # given Omar, signed in once as a PMO analyst and a steering member, and made Admin in Bearing
    saml_settings.person("omar", groups=["portfolio-office", "steering"])
    sign_in_through_idp(client, saml_settings, "omar")
    omar = User.objects.get(username="omar")
    omar.is_superuser = True
    omar.save()
    client.logout()
    # when the directory moves him from the portfolio office and steering to the executive team
    saml_settings.person("omar", groups=["cio-office"])
    response = sign_in_through_idp(client, saml_settings, "omar")
    # then his next sign-in gives him Executive and takes PMO and Steering; Admin, which the rule does not
    # name, stays as Bearing's admins set it
    assert response["Location"] == "/"
    omar.refresh_from_db()
    assert roles_held(omar) == {roles.EXECUTIVE, roles.ADMIN}
    change = AuditEvent.objects.filter(kind=EventKind.ROLES_CHANGED).latest("pk")
    assert change.detail == "PMO, Steering member, Admin → Executive, Admin (the identity provider's groups)"


def test_an_existing_account_of_the_same_username_is_the_one_signed_in(client, saml_settings):
    pia = UserFactory(username="Pia", roles=[roles.MANAGER])
    saml_settings.person("pia", groups=["exec-team"])
    sign_in_through_idp(client, saml_settings, "pia")
    assert User.objects.filter(username__iexact="pia").count() == 1
    assert client.get("/").wsgi_request.user == pia
    assert roles_held(pia) == {roles.MANAGER, roles.EXECUTIVE}


def test_the_username_can_come_from_an_attribute(client, saml_settings, settings):
    # given the username is read from the "uid" attribute rather than the NameID
    settings.BEARING_SAML_USERNAME_ATTRIBUTE = "uid"
    saml_settings.person("uma", groups=[])
    # when Uma signs in
    response = sign_in_through_idp(client, saml_settings, "uma")
    # then her account is named by it
    assert response["Location"] == "/"
    assert User.objects.filter(username="uma").count() == 1


def test_a_deactivated_account_cannot_sign_in(client, saml_settings):
    # given Dora, deactivated in Bearing but still in the directory
    dora = UserFactory(username="dora", roles=[roles.PMO], is_active=False)
    saml_settings.person("dora", groups=["portfolio-office"])
    # when she signs in through the provider
    response = sign_in_through_idp(client, saml_settings, "dora")
    # then she is back on the login page, told why, not signed in, and the failure is logged
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [provider.DEACTIVATED]
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated
    assert events() == [(EventKind.SIGN_IN_FAILED, "dora", "identity provider: account deactivated")]
    dora.refresh_from_db()
    assert (dora.is_active, roles_held(dora)) == (False, {roles.PMO})


def refused_without_account(response, username: str, message: str, detail: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [message]
    assert not User.objects.filter(username=username).exists()
    assert events() == [(EventKind.SIGN_IN_FAILED, "", f"identity provider: {detail}")]


def test_a_response_tampered_with_is_refused(client, saml_settings):
    # given Mallory's signed response, changed on the way to name Nina instead
    saml_settings.person("mallory", groups=["canteen"])
    answer = provider_answer(client, saml_settings, "mallory")
    forged = decoded(answer).replace(">mallory<", ">nina<")
    # when it is posted to Bearing
    response = post_answer(client, encoded(forged))
    # then the signature no longer matches: refused, no account made, the failure logged
    refused_without_account(
        response, "nina", provider.ANSWER_MISMATCH, "Signature validation failed. SAML Response rejected"
    )
    assert not User.objects.filter(username="mallory").exists()


def test_an_unsigned_response_is_refused(client, saml_settings):
    saml_settings.person("una", groups=["portfolio-office"], answer={"sign": False})
    response = sign_in_through_idp(client, saml_settings, "una")
    refused_without_account(
        response, "una", provider.ANSWER_MISMATCH, "No Signature found. SAML Response rejected"
    )


def test_a_response_for_another_audience_is_refused(client, saml_settings):
    saml_settings.person(
        "ava", groups=["portfolio-office"], answer={"audience": "https://other.example.org/sp"}
    )
    response = sign_in_through_idp(client, saml_settings, "ava")
    refused_without_account(
        response,
        "ava",
        provider.ANSWER_MISMATCH,
        "http://testserver/identity/saml/metadata/ is not a valid audience for this Response",
    )


def test_an_expired_assertion_is_refused(client, saml_settings):
    saml_settings.person("exa", groups=["portfolio-office"], answer={"valid_minutes": -10})
    response = sign_in_through_idp(client, saml_settings, "exa")
    refused_without_account(
        response,
        "exa",
        provider.ANSWER_MISMATCH,
        "Could not validate timestamp: expired. Check system clock.",
    )


@pytest.mark.parametrize("in_response_to", ["_not-one-of-bearings", ""])
def test_a_response_to_a_request_bearing_did_not_send_is_refused(client, saml_settings, in_response_to):
    # given the provider answers with another request's id, or with none (a sign-in it started itself),
    # correctly signed
    saml_settings.person("ina", groups=["portfolio-office"], answer={"in_response_to": in_response_to})
    # when the answer arrives
    response = sign_in_through_idp(client, saml_settings, "ina")
    # then no request of this browser matches it
    refused_without_account(response, "ina", provider.STATE_MISMATCH, "InResponseTo did not match")


def test_a_response_posted_in_another_browser_is_refused(client, saml_settings):
    saml_settings.person("eve", groups=["portfolio-office"])
    answer = provider_answer(client, saml_settings, "eve")
    other = Client()
    # the answer arrives without Bearing's cookies: Bearing's page posts it again, from this site
    again = post_answer(other, answer)
    assert again.status_code == 200
    assert 'name="continued" value="1"' in again.content.decode()
    response = post_answer(other, {**answer, "continued": "1"})
    refused_without_account(response, "eve", provider.STATE_MISMATCH, "InResponseTo did not match")
    page = other.get("/accounts/login/")
    assert provider.STATE_MISMATCH.replace("'", "&#x27;") in page.content.decode()


def test_a_response_used_twice_is_refused_the_second_time(client, saml_settings):
    # given Ivo signed in with a response, then signed out
    saml_settings.person("ivo", groups=["portfolio-office"])
    answer = provider_answer(client, saml_settings, "ivo")
    assert post_answer(client, answer)["Location"] == "/"
    client.logout()
    # when the same response is posted again (and again from Bearing's page: its request's cookie is gone)
    assert post_answer(client, answer).status_code == 200
    replay = post_answer(client, {**answer, "continued": "1"})
    # then it is refused: its request was used up
    assert replay["Location"] == "/accounts/login/"
    assert messages_of(replay) == [provider.STATE_MISMATCH]
    assert events()[-1] == (EventKind.SIGN_IN_FAILED, "", "identity provider: InResponseTo did not match")
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_response_used_twice_is_refused_even_with_its_request_pending_again(client, saml_settings):
    # given a response used once, and a browser that (somehow) holds its request as pending again
    saml_settings.person("ria", groups=["portfolio-office"])
    answer = provider_answer(client, saml_settings, "ria")
    pending = client.cookies[saml.PENDING_COOKIE].value
    assert post_answer(client, answer)["Location"] == "/"
    client.logout()
    client.cookies[saml.PENDING_COOKIE] = pending
    # when the response is posted again
    replay = post_answer(client, answer)
    # then the assertion is known as used
    assert replay["Location"] == "/accounts/login/"
    assert messages_of(replay) == [provider.STATE_MISMATCH]
    assert events()[-1] == (EventKind.SIGN_IN_FAILED, "", "identity provider: response already used")


def test_a_refusal_by_the_provider_is_reported(client, saml_settings):
    saml_settings.person(
        "rex", groups=["portfolio-office"], answer={"status": "urn:oasis:names:tc:SAML:2.0:status:Responder"}
    )
    response = sign_in_through_idp(client, saml_settings, "rex")
    refused_without_account(
        response,
        "rex",
        provider.REFUSED,
        "The status code of the Response was not Success, was Responder",
    )


@pytest.mark.parametrize(
    ("data", "message", "detail"),
    [
        ({}, saml.UNREADABLE, "no SAML response"),
        ({"SAMLResponse": "%%% not base64 %%%"}, saml.UNREADABLE, "unreadable response"),
        ({"SAMLResponse": "bm90IFhNTA=="}, saml.UNREADABLE, "unreadable response"),  # "not XML"
        ({"SAMLResponse": "PCFET0NUWVBFIHg+PHgvPg=="}, saml.UNREADABLE, "unreadable response"),  # a DTD
        ({"SAMLResponse": "PGEvPg=="}, provider.STATE_MISMATCH, "InResponseTo did not match"),  # <a/>
    ],
)
def test_a_malformed_post_gets_a_message_not_an_error(client, saml_settings, data, message, detail):
    # when the assertion consumer is posted something that is no answer of the provider (posted again from
    # Bearing's page, as an answer without Bearing's cookie is)
    response = client.post("/identity/saml/acs/", {**data, "continued": "1"})
    # then the login page says so, and the audit log has the failure
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [message]
    assert events() == [(EventKind.SIGN_IN_FAILED, "", f"identity provider: {detail}")]


def test_an_answer_without_bearings_cookie_is_posted_again_from_this_site(client, saml_settings):
    # given an answer that arrives by a cross-site POST, without Bearing's cookies
    hostile = '"><script>alert(1)</script>'
    # when it is posted
    page = Client().post("/identity/saml/acs/", {"SAMLResponse": hostile, "RelayState": "r&d"})
    # then Bearing's page posts it again to the assertion consumer, with every value escaped, and nothing
    # is logged yet
    assert page.status_code == 200
    body = page.content.decode()
    assert '<form method="post" action="/identity/saml/acs/" id="saml-continue" novalidate>' in body
    assert (
        '<input type="hidden" name="SAMLResponse" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">'
        in body
    )
    assert '<input type="hidden" name="RelayState" value="r&amp;d">' in body
    assert '<script src="/static/js/saml-continue.js"></script>' in body
    assert events() == []


def test_two_sign_ins_started_in_two_tabs_both_work(client, saml_settings):
    # given Tom starts a sign-in in one tab, then another in a second tab
    saml_settings.person("tom", groups=[])
    first = provider_answer(client, saml_settings, "tom", start="/identity/saml/login/?next=/initiatives/")
    cookie = client.cookies[saml.PENDING_COOKIE]
    assert cookie["path"] == "/identity/saml/"
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True
    second = provider_answer(client, saml_settings, "tom", start="/identity/saml/login/?next=/objectives/")
    # when the first tab's answer arrives, then the second's
    assert post_answer(client, first)["Location"] == "/initiatives/"
    # then both are honoured
    assert post_answer(client, second)["Location"] == "/objectives/"


def test_a_get_of_the_assertion_consumer_gets_a_message(client, saml_settings):
    response = client.get("/identity/saml/acs/")
    assert response.status_code == 302
    assert messages_of(response) == [saml.UNREADABLE]


def test_next_is_honoured_and_an_off_site_one_ignored(client, saml_settings):
    # given Nell starts her sign-in from the initiative register's login link
    saml_settings.person("nell", groups=["portfolio-office"])
    response = sign_in_through_idp(
        client, saml_settings, "nell", start="/identity/saml/login/?next=/initiatives/"
    )
    # then she comes back to the register
    assert response["Location"] == "/initiatives/"
    client.logout()
    # when a link carries an address of another site
    for target in ("https://evil.example.org/", "//evil.example.org/", "/\\evil.example.org"):
        answer = provider_answer(client, saml_settings, "nell", start=f"/identity/saml/login/?next={target}")
        # then she lands on the home page
        assert post_answer(client, answer)["Location"] == "/"
        client.logout()


def test_local_passwords_off_still_lets_saml_users_in(client, saml_settings, settings):
    # given passwords are off and only SAML signs people in
    settings.BEARING_LOCAL_PASSWORDS = False
    settings.BEARING_OIDC_ENABLED = False
    saml_settings.person("lia", groups=["exec-team"])
    # then the login page shows the SAML button and no password field
    page = client.get("/accounts/login/?next=/initiatives/").content.decode()
    assert '<a class="btn btn-primary w-100" href="/identity/saml/login/?next=/initiatives/">' in page
    assert "Sign in with Example SAML directory</a>" in page
    assert 'name="password"' not in page
    # when Lia signs in through the provider, she is in
    response = sign_in_through_idp(client, saml_settings, "lia")
    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user.username == "lia"


def test_the_button_label_is_escaped(client, saml_settings, settings):
    settings.BEARING_SAML_BUTTON_LABEL = "<b>Acme</b> & co"
    page = client.get("/accounts/login/").content.decode()
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; co</a>" in page


def test_the_metadata_names_bearings_addresses(client, saml_settings):
    response = client.get("/identity/saml/metadata/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    document = etree.fromstring(response.content)
    md = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}
    assert document.get("entityID") == "http://testserver/identity/saml/metadata/"
    acs = document.find("md:SPSSODescriptor/md:AssertionConsumerService", md)
    assert (acs.get("Binding"), acs.get("Location")) == (
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
        "http://testserver/identity/saml/acs/",
    )
    sls = document.find("md:SPSSODescriptor/md:SingleLogoutService", md)
    assert (sls.get("Binding"), sls.get("Location")) == (
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "http://testserver/identity/saml/sls/",
    )


def test_the_saml_pages_are_not_found_while_it_is_off(client):
    for path in ("/identity/saml/metadata/", "/identity/saml/login/", "/identity/saml/acs/"):
        assert client.get(path).status_code == 404


def test_the_provider_can_be_named_by_its_metadata(client, saml_settings, settings):
    # given Bearing knows only the provider's metadata address
    settings.BEARING_SAML_IDP_METADATA_URL = f"{saml_settings.url}/metadata"
    settings.BEARING_SAML_IDP_ENTITY_ID = ""
    settings.BEARING_SAML_IDP_SSO_URL = ""
    settings.BEARING_SAML_IDP_X509_CERT = ""
    saml_settings.person("meta", groups=["steering"])
    # when Meta signs in
    response = sign_in_through_idp(client, saml_settings, "meta")
    # then the addresses and certificate came from the metadata
    assert response["Location"] == "/"
    assert roles_held(User.objects.get(username="meta")) == {roles.STEERING}


def test_an_unreachable_metadata_address_is_reported(client, saml_settings, settings):
    settings.BEARING_SAML_IDP_METADATA_URL = f"{saml_settings.url}/no-metadata-here"
    response = client.get("/identity/saml/login/")
    assert response["Location"] == "/accounts/login/"
    assert messages_of(response) == [provider.UNREACHABLE]
    assert events() == [(EventKind.SIGN_IN_FAILED, "", "identity provider: metadata unreadable (HTTPError)")]


def test_sign_in_requests_are_signed_with_bearings_key(client, saml_settings, settings):
    # given Bearing has a key and certificate of its own
    key, certificate = key_and_certificate("Bearing (tests)")
    settings.BEARING_SAML_SP_PRIVATE_KEY = key
    settings.BEARING_SAML_SP_X509_CERT = certificate_body(certificate)
    # when a sign-in starts, its request carries a signature
    query = parse_qs(urlsplit(client.get("/identity/saml/login/")["Location"]).query)
    assert sorted(query) == ["RelayState", "SAMLRequest", "SigAlg", "Signature"]
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    # and the metadata publishes the certificate
    assert certificate_body(certificate) in client.get("/identity/saml/metadata/").content.decode()
    # and the provider still signs the person in
    saml_settings.person("sig", groups=[])
    assert sign_in_through_idp(client, saml_settings, "sig")["Location"] == "/"


def test_an_admin_from_the_directory_is_not_asked_for_bearings_second_factor(client, saml_settings, settings):
    # given admins must have a second factor, and the directory's IT admins are Bearing admins
    settings.BEARING_REQUIRE_2FA_FOR_ADMINS = True
    settings.BEARING_SAML_ROLE_MAP = {roles.ADMIN: ("it-admins",)}
    saml_settings.person("ada", groups=["it-admins"])
    # when Ada signs in through the provider (which asks for its own second factor)
    sign_in_through_idp(client, saml_settings, "ada")
    # then she is an admin and reaches Bearing's pages without enrolling one here
    assert roles_held(User.objects.get(username="ada")) == {roles.ADMIN}
    assert client.get("/accounts/people/").status_code == 200
