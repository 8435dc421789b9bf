from __future__ import annotations

from django.urls import path

from identity import oidc, saml, signin, views

app_name = "identity"

urlpatterns = [
    path("accounts/people/", views.account_list, name="account-list"),
    path("accounts/people/invite/", views.account_invite, name="account-invite"),
    path("accounts/people/<id:pk>/", views.account_detail, name="account-detail"),
    path("accounts/people/<id:pk>/deactivate/", views.account_deactivate, name="account-deactivate"),
    path("accounts/people/<id:pk>/reactivate/", views.account_reactivate, name="account-reactivate"),
    path("accounts/people/<id:pk>/resend/", views.account_resend, name="account-resend"),
    path("accounts/people/<id:pk>/sign-out/", views.account_sign_out, name="account-sign-out"),
    path(
        "accounts/people/<id:pk>/two-factor-off/", views.account_two_factor_off, name="account-two-factor-off"
    ),
    path("accounts/two-factor/", views.two_factor_page, name="two-factor"),
    path("accounts/login/code/", signin.sign_in_code, name="sign-in-code"),
    path("accounts/login/provider/", oidc.SignInStartView.as_view(), name="oidc-start"),
    path("accounts/login/provider/callback/", oidc.SignInCallbackView.as_view(), name="oidc-callback"),
    path("identity/saml/metadata/", saml.metadata, name="saml-metadata"),
    path("identity/saml/login/", saml.sign_in_start, name="saml-start"),
    path("identity/saml/acs/", saml.assertion_consumer, name="saml-acs"),
    path("identity/saml/sls/", saml.single_logout, name="saml-sls"),
    path("accounts/login/break-glass/<str:uidb64>/<str:token>/", signin.break_glass, name="break-glass"),
    path("accounts/audit/", views.audit_list, name="audit-list"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/sign-out-everywhere/", views.sign_out_everywhere, name="sign-out-everywhere"),
    path("accounts/invitation/<str:uidb64>/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
