"""The Celery app, configured from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_process_init

from config.env import log_format

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("bearing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def warm_up(**kwargs: Any) -> None:
    """Each worker process loads what the engine's first job would otherwise load (alignment.services.warm_up)."""
    from alignment.services import warm_up as warm_up_engine

    warm_up_engine()


if log_format() == "json":

    @setup_logging.connect
    def use_django_logging(**kwargs: Any) -> None:
        """With JSON logs the worker and beat keep Django's LOGGING (one JSON object per line) instead of
        Celery's own text format: Celery sets up no handler of its own once this signal has a receiver."""
        from logging.config import dictConfig

        from django.conf import settings

        dictConfig(settings.LOGGING)
