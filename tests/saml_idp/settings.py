"""A small SAML 2.0 identity provider that the sign-in tests run in a process of its own (tests/saml_idp):
it reads the sign-in request (redirect binding), shows a sign-in form of its directory, and posts back a
response signed with a key the tests generate. No database: the directory is what the tests seed. Everything
comes from the environment that tests/saml_idp/fixtures.py sets."""

from __future__ import annotations

import os
from pathlib import Path

DEBUG = False
SECRET_KEY = "saml-idp-test-only-secret-key"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.saml_idp.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, object] = {}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
    }
]
USE_TZ = True

IDP_URL = os.environ["IDP_URL"]
IDP_PRIVATE_KEY = os.environ["IDP_PRIVATE_KEY"]
IDP_CERTIFICATE = os.environ["IDP_CERTIFICATE"]
IDP_SEED_TOKEN = os.environ["IDP_SEED_TOKEN"]
