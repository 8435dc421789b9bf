"""Test settings: the environment-driven settings with only what tests need overridden."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Unit tests run tasks in-process; the worker tests start a real worker against REDIS_URL themselves.
CELERY_TASK_ALWAYS_EAGER = True
BEARING_JOB_RUNNER = "inline"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"].pop("init_command", None)
# The in-process schedule is tested on its own (tests/core/test_scheduler.py); no test server starts it.
BEARING_IN_PROCESS_SCHEDULE = False
