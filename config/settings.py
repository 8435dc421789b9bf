"""Bearing settings, read from the environment (see .env.example).

The embedded default needs no services: a SQLite file under var/ and Celery tasks executed in-process.
Production sets DATABASE_URL (PostgreSQL) and REDIS_URL (Celery broker and cache).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

from config.env import ConfigurationError, env_bool, env_int, env_list, env_str, log_format
from identity.role_map import RoleMapError, parse_role_map
from identity.saml_config import SamlConfigError, certificate_body, http_address, private_key_pem

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigurationError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "core.admin_site.BearingAdminConfig",  # django.contrib.admin, with a guard on its URLs
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "identity",
    "portfolio",
    "risk",
    "capacity",
    "surveys",
    "alignment",
    "steering",
    "planning",
    "events",
    "ninja",
    "api",
    "demo",
]

MIDDLEWARE = [
    # first: times the whole answer for /metrics and gives the request its id
    "core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    # signs out a session ended elsewhere, idle or too old (needs the user and messages)
    "identity.middleware.SessionGuardMiddleware",
    # an admin without a second factor goes to its enrolment first (when BEARING_REQUIRE_2FA_FOR_ADMINS)
    "identity.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.InProcessScheduleMiddleware",
    # last: turns a login refused for too many failures into the "paused" login page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.bearing",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

FORM_RENDERER = "core.formkit.BearingFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'bearing.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue instead of failing
    # with "database is locked" halfway through; WAL lets readers continue meanwhile.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# Seconds to connect to Redis, and to wait for one answer: a Redis that is down or hung costs a request
# seconds (the cache degrades to a miss, a message not sent is caught by the sweep), never minutes.
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 2)
if REDIS_TIMEOUT < 2:  # a worker's BRPOP waits 1 s for a message: its socket must wait longer
    raise ConfigurationError(f"REDIS_TIMEOUT={REDIS_TIMEOUT} is too short: use 2 seconds or more")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # first: refuses a login while its address or account is paused (needs the request: use force_login
    # in tests, or pass request= to authenticate)
    "axes.backends.AxesStandaloneBackend",
    # passwords, refused while BEARING_LOCAL_PASSWORDS is off
    "identity.backends.LocalPasswordBackend",
    # the identity provider's sign-in (identity.oidc); asks nothing of a password sign-in
    "identity.oidc.ProviderBackend",
    # the SAML identity provider's sign-in (identity.saml); answers only its assertion consumer
    "identity.saml.SamlBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS only, when served over TLS (see the README's production settings). Off by default: the embedded
# default is plain HTTP on this machine.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# The container's health check calls /healthz over plain HTTP from inside; it must not be redirected. Nor
# must Prometheus scraping /metrics over the private network (a caller without its token is redirected
# by the view itself, as from any other path).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if (SECURE_HSTS_INCLUDE_SUBDOMAINS or SECURE_HSTS_PRELOAD) and not SECURE_HSTS_SECONDS:
    raise ConfigurationError(
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS and DJANGO_SECURE_HSTS_PRELOAD need DJANGO_SECURE_HSTS_SECONDS"
    )
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). Scripts and style sheets come only from our own static files: no
# inline <script>, no event handler attributes, no eval (htmx runs with allowEval off and Plotly's bundle
# has the "strict" WebGL traces). style-src-attr allows inline style *attributes* only: our templates set widths and
# heights with them (meters, bars, chart boxes) and Plotly and Bootstrap set them on the elements they
# draw; an attribute cannot hold a selector, so it cannot read the page the way an injected style sheet
# could. <style> elements stay refused (Plotly's rules are served as vendor/plotly/plotly.css).
_CSP_REPORT_URI = env_str("DJANGO_CSP_REPORT_URI")
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [_CSP_REPORT_URI]} if _CSP_REPORT_URI else {}),
    }
}
# true: only report what the policy would block (to try a change of it on a live site first)
if env_bool("DJANGO_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Behind a reverse proxy, trust its X-Forwarded-Proto and the address it appends to X-Forwarded-For (the
# DJANGO_PROXY_COUNT-th entry from the right); otherwise neither header means anything.
BEARING_BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
BEARING_PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1, minimum=1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEARING_BEHIND_PROXY else None

# Login throttling (django-axes; the rules are in core/login_throttle.py).
AXES_FAILURE_LIMIT = env_int("BEARING_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("BEARING_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = "core.login_throttle.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "core.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
# Failures during a pause do not extend it, so the pause always ends one cool-off after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False

# Sessions (identity.middleware): signed out after this many minutes without a request, and this many hours
# after signing in, whatever the activity; 0 switches either off.
BEARING_SESSION_IDLE_MINUTES = env_int("BEARING_SESSION_IDLE_MINUTES", 480, minimum=0)
BEARING_SESSION_MAX_HOURS = env_int("BEARING_SESSION_MAX_HOURS", 336, minimum=0)
if BEARING_SESSION_MAX_HOURS:
    SESSION_COOKIE_AGE = BEARING_SESSION_MAX_HOURS * 3600
# Second factor (TOTP, with recovery codes) for local accounts: true makes it required of every admin.
BEARING_REQUIRE_2FA_FOR_ADMINS = env_bool("BEARING_REQUIRE_2FA_FOR_ADMINS", False)
OTP_TOTP_ISSUER = env_str("BEARING_2FA_ISSUER", "Bearing")
# An invitation's one-time link to choose a password works for this many days.
BEARING_INVITATION_DAYS = env_int("BEARING_INVITATION_DAYS", 7, minimum=1)

# OpenID Connect sign-in (identity.oidc, docs/identity.md): on when BEARING_OIDC_ISSUER is set. Its endpoints
# and keys are read from the issuer's discovery document at the first sign-in.
BEARING_OIDC_ISSUER = env_str("BEARING_OIDC_ISSUER").strip().rstrip("/")
BEARING_OIDC_ENABLED = bool(BEARING_OIDC_ISSUER)
BEARING_OIDC_BUTTON_LABEL = env_str("BEARING_OIDC_BUTTON_LABEL", "Sign in with your organisation account")
BEARING_OIDC_USERNAME_CLAIM = env_str("BEARING_OIDC_USERNAME_CLAIM", "preferred_username")
BEARING_OIDC_GROUPS_CLAIM = env_str("BEARING_OIDC_GROUPS_CLAIM", "groups")
# JSON: {"pmo": ["portfolio-office"], "executive": "exec-team"}; unset: roles are managed in Bearing.
try:
    BEARING_OIDC_ROLE_MAP = parse_role_map(env_str("BEARING_OIDC_ROLE_MAP"))
except RoleMapError as _error:
    raise ConfigurationError(f"BEARING_OIDC_ROLE_MAP {_error}") from None
OIDC_RP_CLIENT_ID = env_str("BEARING_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("BEARING_OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("BEARING_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("BEARING_OIDC_SIGN_ALGO", "RS256")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("BEARING_OIDC_TIMEOUT", 10, minimum=1)
OIDC_AUTHENTICATE_CLASS = "identity.oidc.SignInStartView"
OIDC_CALLBACK_CLASS = "identity.oidc.SignInCallbackView"
OIDC_AUTHENTICATION_CALLBACK_URL = "identity:oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "login"
if BEARING_OIDC_ENABLED:
    if not BEARING_OIDC_ISSUER.startswith(("https://", "http://")):
        raise ConfigurationError(f"BEARING_OIDC_ISSUER={BEARING_OIDC_ISSUER!r} is not an http(s) address")
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ConfigurationError(
            "BEARING_OIDC_ISSUER needs BEARING_OIDC_CLIENT_ID and BEARING_OIDC_CLIENT_SECRET"
        )
    if "openid" not in OIDC_RP_SCOPES.split():
        raise ConfigurationError(f"BEARING_OIDC_SCOPES={OIDC_RP_SCOPES!r} must include openid")

# SAML 2.0 sign-in (identity.saml, docs/identity.md): on when the identity provider is named, by its metadata
# address (read at the first sign-in) or by its entity ID, sign-in address and signing certificate.
BEARING_SAML_IDP_METADATA_URL = env_str("BEARING_SAML_IDP_METADATA_URL").strip()
BEARING_SAML_IDP_ENTITY_ID = env_str("BEARING_SAML_IDP_ENTITY_ID").strip()
BEARING_SAML_IDP_SSO_URL = env_str("BEARING_SAML_IDP_SSO_URL").strip()
BEARING_SAML_IDP_SLO_URL = env_str("BEARING_SAML_IDP_SLO_URL").strip()
BEARING_SAML_ENABLED = bool(BEARING_SAML_IDP_METADATA_URL or BEARING_SAML_IDP_ENTITY_ID)
# unset: the site's metadata address (BEARING_BASE_URL + /identity/saml/metadata/)
BEARING_SAML_SP_ENTITY_ID = env_str("BEARING_SAML_SP_ENTITY_ID").strip()
BEARING_SAML_BUTTON_LABEL = env_str("BEARING_SAML_BUTTON_LABEL", "Sign in with your organisation account")
# unset: the assertion's NameID is the username
BEARING_SAML_USERNAME_ATTRIBUTE = env_str("BEARING_SAML_USERNAME_ATTRIBUTE").strip()
BEARING_SAML_GROUPS_ATTRIBUTE = env_str("BEARING_SAML_GROUPS_ATTRIBUTE", "groups").strip()
BEARING_SAML_TIMEOUT = env_int("BEARING_SAML_TIMEOUT", 10, minimum=1)
try:
    BEARING_SAML_ROLE_MAP = parse_role_map(env_str("BEARING_SAML_ROLE_MAP"))
except RoleMapError as _error:
    raise ConfigurationError(f"BEARING_SAML_ROLE_MAP {_error}") from None


def _saml_value(name: str, check: Callable[[str], str]) -> str:
    raw = env_str(name).strip()
    try:
        return check(raw) if raw else ""
    except SamlConfigError as error:
        raise ConfigurationError(f"{name} {error}") from None


BEARING_SAML_IDP_X509_CERT = _saml_value("BEARING_SAML_IDP_X509_CERT", certificate_body)
# Bearing's own key and certificate: its sign-in and logout requests are signed with them when both are set.
BEARING_SAML_SP_PRIVATE_KEY = _saml_value("BEARING_SAML_SP_PRIVATE_KEY", private_key_pem)
BEARING_SAML_SP_X509_CERT = _saml_value("BEARING_SAML_SP_X509_CERT", certificate_body)
for _name in ("BEARING_SAML_IDP_METADATA_URL", "BEARING_SAML_IDP_SSO_URL", "BEARING_SAML_IDP_SLO_URL"):
    _saml_value(_name, http_address)
if BEARING_SAML_ENABLED:
    if not BEARING_SAML_IDP_METADATA_URL and not (BEARING_SAML_IDP_SSO_URL and BEARING_SAML_IDP_X509_CERT):
        raise ConfigurationError(
            "BEARING_SAML_IDP_ENTITY_ID needs BEARING_SAML_IDP_SSO_URL and BEARING_SAML_IDP_X509_CERT "
            "(or set BEARING_SAML_IDP_METADATA_URL instead)"
        )
    if bool(BEARING_SAML_SP_PRIVATE_KEY) != bool(BEARING_SAML_SP_X509_CERT):
        raise ConfigurationError("BEARING_SAML_SP_PRIVATE_KEY and BEARING_SAML_SP_X509_CERT go together")
elif BEARING_SAML_IDP_SSO_URL or BEARING_SAML_IDP_X509_CERT:
    raise ConfigurationError(
        "BEARING_SAML_IDP_SSO_URL and BEARING_SAML_IDP_X509_CERT need BEARING_SAML_IDP_ENTITY_ID"
    )

# false: the login page offers only the identity provider and refuses passwords; the break-glass command
# (manage.py break_glass) still signs an administrator in with a one-time link.
BEARING_LOCAL_PASSWORDS = env_bool("BEARING_LOCAL_PASSWORDS", True)
if not BEARING_LOCAL_PASSWORDS and not (BEARING_OIDC_ENABLED or BEARING_SAML_ENABLED):
    raise ConfigurationError(
        "BEARING_LOCAL_PASSWORDS=false needs OpenID Connect sign-in (BEARING_OIDC_ISSUER) "
        "or SAML sign-in (BEARING_SAML_IDP_METADATA_URL or BEARING_SAML_IDP_ENTITY_ID)"
    )
# Signing out sends the browser from the logout button's form on to the provider's logout: browsers hold that
# redirect to the form-action directive, so the providers' origins are allowed there.
for _address in (BEARING_OIDC_ISSUER, BEARING_SAML_IDP_SLO_URL, BEARING_SAML_IDP_METADATA_URL):
    if _address:
        _parts = urlsplit(_address)
        _CSP["DIRECTIVES"]["form-action"].append(f"{_parts.scheme}://{_parts.netloc}")
# A break-glass sign-in link works for this many minutes, once.
BEARING_BREAK_GLASS_MINUTES = env_int("BEARING_BREAK_GLASS_MINUTES", 15, minimum=1)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# In development whitenoise serves straight from the app folders; production serves collected files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies beyond this are refused with 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_MAX_REQUEST_BYTES", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Bearing <bearing@localhost>")
# Where Bearing is reached from outside, for links in e-mails.
BEARING_BASE_URL = env_str("BEARING_BASE_URL", "http://127.0.0.1:8000")

# Celery: with REDIS_URL unset, tasks run in-process so every feature works without services.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 15 * 60  # the longest task's hard limit: no alignment task states a longer one
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message taken by a worker that died unacknowledged goes back to the queue after this many seconds.
    # Just above the longest hard time limit: shorter and a slow task would run twice; much longer and a
    # killed worker's messages wait for nothing (its job is failed and replaced within a minute anyway).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60),
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
}
# Sending a message after commit tries twice, then gives up (logged; the stale mark and the sweep catch up).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "fail-lost-jobs": {
        "task": "core.tasks.fail_lost_jobs",
        "schedule": timedelta(seconds=15),
        "options": {"expires": 15},  # while no worker runs, these need not pile up
    },
    "sweep-stale-scores": {"task": "alignment.tasks.sweep_stale", "schedule": crontab(minute="*/10")},
    "nightly-full-recompute": {
        "task": "alignment.tasks.nightly_recompute",
        "schedule": crontab(hour=2, minute=30),
    },
    "daily-score-history": {
        "task": "alignment.tasks.record_history",
        "schedule": crontab(hour=3, minute=15),
    },
    "daily-reminders": {"task": "steering.tasks.send_reminders", "schedule": crontab(hour=7, minute=0)},
    "sweep-events": {"task": "core.tasks.sweep_events", "schedule": timedelta(seconds=60)},
    "daily-digests": {"task": "events.tasks.send_daily_digests", "schedule": crontab(hour=7, minute=10)},
    "weekly-digests": {
        "task": "events.tasks.send_weekly_digests",
        "schedule": crontab(hour=7, minute=20, day_of_week=1),
    },
}
# Where jobs run: "celery" (workers, needs REDIS_URL), "thread" (in-process, the embedded default) or "inline".
BEARING_JOB_RUNNER = env_str("BEARING_JOB_RUNNER", "celery" if REDIS_URL else "thread")
# Without beat (the embedded default), the web process runs the schedule above itself (core.scheduler).
BEARING_IN_PROCESS_SCHEDULE = env_bool("BEARING_IN_PROCESS_SCHEDULE", True)
# A running job refreshes its heartbeat this often (seconds), from a thread of its own. A running job with
# no heartbeat, or a queued one no worker took, for longer than the limit is lost and marked failed (every
# 15 s by beat, by the page showing it, and when a new one is asked for), so a new request starts afresh.
BEARING_JOB_HEARTBEAT = env_int("BEARING_JOB_HEARTBEAT", 5)
# the seconds the scenario optimiser may take for one answer, and for each point of a frontier
BEARING_SCENARIO_TIME_LIMIT = env_int("BEARING_SCENARIO_TIME_LIMIT", 60)
BEARING_JOB_SILENCE_LIMIT = env_int("BEARING_JOB_SILENCE_LIMIT", 45)
if not 0 < BEARING_JOB_HEARTBEAT * 3 <= BEARING_JOB_SILENCE_LIMIT:
    raise ConfigurationError(
        "BEARING_JOB_SILENCE_LIMIT must be at least three BEARING_JOB_HEARTBEAT intervals (both in seconds)"
    )

# Events (core.outbox, the events app): how long processed events are kept; how many alignment points a score
# must move to be an event; webhooks' attempts before a subscription is disabled, and whether they may reach
# private, loopback or link-local addresses (off in production: a webhook must not reach the inside network).
BEARING_EVENT_RETENTION_DAYS = env_int("BEARING_EVENT_RETENTION_DAYS", 30, minimum=1)
BEARING_EVENT_SCORE_THRESHOLD = env_int("BEARING_EVENT_SCORE_THRESHOLD", 5, minimum=1)
BEARING_WEBHOOK_MAX_FAILURES = env_int("BEARING_WEBHOOK_MAX_FAILURES", 8, minimum=1)
BEARING_WEBHOOK_TIMEOUT = env_int("BEARING_WEBHOOK_TIMEOUT", 10, minimum=1)
BEARING_WEBHOOK_ALLOW_PRIVATE = env_bool("BEARING_WEBHOOK_ALLOW_PRIVATE", False)

BEARING_CURRENCY = env_str("BEARING_CURRENCY", "EUR")

# Imports (portfolio.imports): the largest file, the most data rows, and the most a workbook may unpack to
BEARING_IMPORT_MAX_BYTES = env_int("BEARING_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
BEARING_IMPORT_MAX_ROWS = env_int("BEARING_IMPORT_MAX_ROWS", 100_000, minimum=1)
BEARING_IMPORT_MAX_UNZIPPED_BYTES = env_int("BEARING_IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024, minimum=1)
# The headless chromium that prints board packs (and that the browser tests drive).
BEARING_CHROMIUM = env_str("BEARING_CHROMIUM", "/usr/bin/chromium")
# The survey's optional semantic similarity: a sentence-embedding model that loads offline (a path, or the name
# of a model an installed package ships). Unset, or without the sentence-transformers package: off.
BEARING_SURVEY_EMBEDDING_MODEL = env_str("BEARING_SURVEY_EMBEDDING_MODEL", "")

# /metrics (core.monitoring) answers the holder of this bearer token, and logged-in superusers; anyone else
# gets a 404. Unset: superusers only.
BEARING_METRICS_TOKEN = env_str("BEARING_METRICS_TOKEN")
if BEARING_METRICS_TOKEN and len(BEARING_METRICS_TOKEN) < 20:
    raise ConfigurationError(
        "BEARING_METRICS_TOKEN is too short: use at least 20 random characters "
        '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
    )
# With PROMETHEUS_MULTIPROC_DIR set (several gunicorn workers), /metrics adds up the files of that directory
# and of these: other services' PROMETHEUS_MULTIPROC_DIR, e.g. the Celery worker's on a shared volume, so job
# durations measured on the workers show in the one scrape.
BEARING_METRICS_EXTRA_DIRS = env_list("BEARING_METRICS_EXTRA_DIRS", [])

# Logs: "text" for people, or "json" (one object per line: timestamp, level, logger, message, and a request's
# id, route, status and duration; see core.logs) for a log store. BEARING_LOG_REQUESTS logs one line per
# request (route, status, duration) at INFO.
BEARING_LOG_FORMAT = log_format()
BEARING_LOG_REQUESTS = env_bool("BEARING_LOG_REQUESTS", False)
_JSON_LOGS = BEARING_LOG_FORMAT == "json"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if _JSON_LOGS else {})},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        **(
            {
                # Django's own text handlers replaced: its lines reach the root's JSON handler instead
                "django": {"handlers": ["mail_admins"], "level": "INFO"},
                "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            }
            if _JSON_LOGS
            else {}
        ),
    },
}
