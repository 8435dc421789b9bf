"""Redis down: with jobs sent to Celery workers and the broker refusing connections or hung (it accepts them
and never answers, as a paused Redis), a write answers as usual within seconds, is saved, marks its score
stale and logs what was not sent; starting a job says the queue is unreachable, and the next request starts
afresh; once Redis is back the sweep catches up (as a function, and on a real worker).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from alignment import services, tasks
from alignment.models import InitiativeScore
from config.celery import app
from core.models import Job, JobStatus
from portfolio.forms import ContributionForm
from portfolio.models import Contribution, Strength
from tests.alignment.conftest import RESULT_TIMEOUT, Worker, _forget_broker_connections, wait_for
from tests.factories import ContributionFactory, InitiativeFactory, ObjectiveFactory
from tests.portfolio.utils import form_data

COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UNSENT = "The job queue could not be reached; start it again in a moment"


@pytest.fixture
def dead_redis(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a Redis that is down: nothing listens ("refused"), or a socket that accepts connections
    (the kernel's backlog) and never answers ("hung")."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if getattr(request, "param", "refused") == "refused":
        listener.close()
    else:
        listener.listen(16)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        listener.close()


def point_celery_and_cache_at(url: str, settings: Any) -> None:
    """This process sends its messages to `url` (as production does) and caches there."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.BEARING_JOB_RUNNER = "celery"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": django_settings.REDIS_TIMEOUT,
                "socket_timeout": django_settings.REDIS_TIMEOUT,
            },
        }
    }
    app.conf.update(task_always_eager=False, broker_url=url)
    _forget_broker_connections()


@pytest.fixture
def broker_down(dead_redis: str, settings: Any) -> Iterator[str]:
    """Jobs go to Celery workers, through a broker (and a cache) that is down."""
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    point_celery_and_cache_at(dead_redis, settings)
    try:
        yield dead_redis
    finally:
        app.conf.update(saved)
        _forget_broker_connections()


def scored_contribution() -> Contribution:
    """FIT-1 strong to the only theme (fit 100: r = 1, s = 1), scored, with the portfolio up to date."""
    theme = ObjectiveFactory(code="T1")
    initiative = InitiativeFactory(code="FIT-1")
    contribution: Contribution = ContributionFactory(
        initiative=initiative, objective=theme, strength=Strength.STRONG
    )
    services.recompute()
    assert InitiativeScore.objects.get(pk=initiative.pk).fit == 100.0
    assert services.portfolio_is_stale() is False
    return contribution


def weaken(client: Client, contribution: Contribution) -> Any:
    """The PMO sets the contribution to moderate through its edit form, as a browser posts it."""
    url = reverse("portfolio:record-edit", args=["contributions", contribution.pk])
    return client.post(url, form_data(ContributionForm(instance=contribution), strength=Strength.MODERATE))


def not_sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.jobs"]


# --------------------------------------------------------------------------------------- without a worker


@COMMITTED
@pytest.mark.parametrize("dead_redis", ["refused", "hung"], indirect=True)
def test_a_write_answers_as_usual_while_redis_is_down_and_the_sweep_catches_up(
    broker_down: str, client: Client, pmo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given: FIT-1 scored at fit 100, the PMO on its contribution
    contribution = scored_contribution()
    initiative = contribution.initiative
    client.force_login(pmo)
    caplog.clear()  # what the set-up could not send (its score's events) is not the request's

    # when: with Redis down, the PMO weakens the contribution to moderate
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        response = weaken(client, contribution)
    took = time.monotonic() - began

    # then: the usual answer (back to the initiative), the change saved, its score and the portfolio
    # marked stale in the same transaction
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("portfolio:initiative-detail", args=[initiative.pk]) + "#contributions"
    )
    saved = Contribution.objects.get(pk=contribution.pk)
    assert (saved.strength, saved.version) == (Strength.MODERATE, 2)
    score = InitiativeScore.objects.get(pk=initiative.pk)
    assert (score.stale, score.fit) == (True, 100.0)
    assert services.portfolio_is_stale() is True
    # and what was not sent is logged (once: the portfolio refresh is not tried after the first failure)
    (message,) = not_sent(caplog)
    assert message.startswith(
        f"Not sent to the workers: alignment.tasks.recompute_initiatives for initiatives [{initiative.pk}], "
        "KPIs [] (OperationalError: "
    )
    # and a broker that does not answer costs two attempts of the Redis timeout, not the request
    assert took < 2 * django_settings.REDIS_TIMEOUT + 2

    # when: Redis is back, and beat's sweep runs
    tasks.sweep_stale()

    # then: rescored from the new strength (100 × 2/3), and the portfolio refreshed
    score = InitiativeScore.objects.get(pk=initiative.pk)
    assert (score.stale, score.fit) == (False, 66.67)
    assert services.portfolio_is_stale() is False


@pytest.mark.django_db
def test_starting_a_full_recompute_while_redis_is_down_says_so_and_the_next_request_starts_afresh(
    broker_down: str, client: Client, pmo: Any
) -> None:
    # given
    client.force_login(pmo)

    # when: the PMO starts a full recompute twice while Redis is down
    first = client.post(reverse("alignment:recompute"), headers={"HX-Request": "true"})
    second = client.post(reverse("alignment:recompute"), headers={"HX-Request": "true"})

    # then: each answer shows its job failed, saying why; the second is a fresh job, not the first joined
    assert (first.status_code, second.status_code) == (200, 200)
    jobs = list(Job.objects.order_by("pk"))
    assert [(j.status, j.message) for j in jobs] == [(JobStatus.FAILED, UNSENT), (JobStatus.FAILED, UNSENT)]
    for response, job in zip([first, second], jobs, strict=True):
        page = response.content.decode()
        assert "· Failed</span><span>0%</span>" in page
        assert UNSENT in page
        assert f'hx-get="{reverse("core:job-status", args=[job.pk])}"' not in page


# --------------------------------------------------------------------------------------- with a worker


@COMMITTED
def test_writes_made_while_the_broker_was_down_are_caught_up_by_a_worker_once_it_is_back(
    redis_worker: Worker, postgres: None, dead_redis: str, client: Client, pmo: Any, settings: Any
) -> None:
    # given: FIT-1 scored at fit 100
    contribution = scored_contribution()
    initiative = contribution.initiative
    broker = redis_worker.broker
    client.force_login(pmo)

    # when: the broker is unreachable from the web process and the PMO weakens the contribution
    point_celery_and_cache_at(dead_redis, settings)
    response = weaken(client, contribution)

    # then: answered as usual and saved; nothing reached the broker
    assert response.status_code == 302
    assert Contribution.objects.get(pk=contribution.pk).strength == Strength.MODERATE
    assert InitiativeScore.objects.get(pk=initiative.pk).stale is True
    assert broker.queued() == []

    # when: the broker is back, a worker runs, and beat sends the sweep
    point_celery_and_cache_at(broker.url, settings)
    redis_worker.start()
    tasks.sweep_stale.delay()

    # then: the worker rescored FIT-1 from the new strength and refreshed the portfolio
    score = wait_for(
        lambda: InitiativeScore.objects.filter(pk=initiative.pk, stale=False).first(),
        timeout=RESULT_TIMEOUT,
        what="the sweep on the worker to rescore FIT-1",
        check=redis_worker.check_alive,
    )
    assert score.fit == 66.67
    wait_for(
        lambda: not services.portfolio_is_stale(),
        timeout=RESULT_TIMEOUT,
        what="the sweep to refresh the portfolio",
        check=redis_worker.check_alive,
    )
