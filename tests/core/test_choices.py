"""Long lists of choices (core.choices): a filter naming one program, person or objective among many shows
the first SHOWN of them and the one chosen, with a search box that asks the server for the others; a short
list is shown whole. The pages stay the same size however many programs there are."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.choices import SHOWN
from portfolio.models import Program
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

CHOICES = reverse("core:choice-options", args=["programs"])


def programs(count: int, prefix: str = "Program") -> list[Program]:
    return Program.objects.bulk_create(Program(name=f"{prefix} {n:03d}") for n in range(count))


def found(pattern: str, html: str) -> str:
    match = re.search(pattern, html, re.S)
    assert match is not None, pattern
    return match.group(0)


def program_select(html: str) -> str:
    return found(r'<select name="program".*?</select>', html)


def option_texts(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)


def test_a_short_list_is_shown_whole_with_no_search_box(client, pmo):
    made = programs(3)
    client.force_login(pmo)

    html = client.get(reverse("portfolio:initiative-list")).content.decode()

    assert option_texts(program_select(html)) == [
        ("", "All programs"),
        *((str(p.pk), p.name) for p in made),
    ]
    assert CHOICES not in html


def test_a_long_list_shows_its_first_options_the_chosen_one_and_a_search_box(client, pmo):
    made = programs(SHOWN + 10)
    last = made[-1]
    InitiativeFactory(code="IN-LAST", program=last)
    InitiativeFactory(code="IN-FIRST", program=made[0])
    client.force_login(pmo)

    html = client.get(reverse("portfolio:initiative-list"), {"program": last.pk}).content.decode()

    select = program_select(html)
    assert (
        option_texts(select)
        == [
            ("", "All programs"),
            (str(last.pk), "Program 059"),  # chosen, though past the first SHOWN
            *((str(p.pk), p.name) for p in made[:SHOWN]),
            ("", "… more: type in the box below to find them"),
        ]
    )
    assert f'<option value="{last.pk}" selected>' in select
    assert '<option value="" disabled>… more' in select
    search = found(r'<input type="search" name="search"[^>]*>', html)
    assert f'hx-get="{CHOICES}"' in search
    assert 'hx-target="#id_program"' in search
    assert 'form="no-form"' in search
    assert "Type to find other programs" in search
    # the filter still takes any program, shown or not
    assert "IN-LAST" in html
    assert "IN-FIRST" not in html


def test_the_page_does_not_grow_with_the_number_of_programs(client, pmo):
    programs(SHOWN + 1)
    client.force_login(pmo)
    url = reverse("portfolio:initiative-list")
    few = client.get(url).content

    programs(2000, prefix="Zprogram")  # listed after the first SHOWN
    many = client.get(url).content

    assert len(many) == len(few)


def test_a_search_answers_the_matching_options_escaped_and_bounded(client, executive):
    programs(SHOWN + 10)
    odd = Program.objects.create(name='Zeta <b>"bold"</b> & co')
    client.force_login(executive)

    matches = client.get(CHOICES, {"search": "program 05", "field": "program", "empty": "All programs"})
    hostile = client.get(CHOICES, {"search": "<b>", "field": "program", "empty": "<i>All</i>"})
    many = client.get(CHOICES, {"search": "program", "field": "program", "program": str(odd.pk)})
    none = client.get(CHOICES, {"search": "no such thing", "field": "program", "empty": "All"})

    assert matches.status_code == 200
    assert option_texts(matches.content.decode()) == [("", "All programs")] + [
        (str(p.pk), p.name) for p in Program.objects.order_by("name") if "05" in p.name
    ]  # both words found: 005 and 050-059
    assert hostile.content.decode() == (
        '<option value="">&lt;i&gt;All&lt;/i&gt;</option>'
        f'\n  <option value="{odd.pk}">Zeta &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co</option>'
    )
    body = many.content.decode()
    assert len(option_texts(body)) == SHOWN + 3  # the empty choice, the chosen one, SHOWN matches, "more"
    assert f'<option value="{odd.pk}" selected>' in body
    assert "… more match: type more of the name" in body
    assert none.content.decode() == (
        '<option value="">All</option>\n  <option value="" disabled>None match</option>'
    )


def test_a_search_reads_the_same_queries_however_long_the_list(client, pmo):
    programs(SHOWN + 1)
    client.force_login(pmo)
    with CaptureQueriesContext(connection) as few:
        client.get(CHOICES, {"search": "program", "field": "program", "program": "1"})
    programs(1000, prefix="More")
    with CaptureQueriesContext(connection) as many:
        client.get(CHOICES, {"search": "program", "field": "program", "program": "1"})

    assert len(many) == len(few)


def test_each_registered_list_answers(client, pmo):
    InitiativeFactory(code="IN-1")
    client.force_login(pmo)

    for key in ("programs", "sponsors", "objectives", "people"):
        response = client.get(reverse("core:choice-options", args=[key]), {"search": "x"})
        assert response.status_code == 200, key


def test_who_may_search_a_list(client, outsider, manager):
    programs(2)

    anonymous = client.get(CHOICES, {"search": "program"})
    client.force_login(outsider)
    no_role = client.get(CHOICES, {"search": "program"})
    client.force_login(manager)
    unknown = client.get(reverse("core:choice-options", args=["secrets"]))
    posted = client.post(CHOICES)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert no_role.status_code == 403
    assert b"Program 0" not in no_role.content
    assert unknown.status_code == 404
    assert posted.status_code == 405


def test_malformed_searches_are_answered_plainly(client, pmo):
    programs(2)
    client.force_login(pmo)

    for params in (
        {"search": "x" * 10_000, "field": "program"},
        {"search": "\x00", "field": "<script>"},
        {"field": "program", "program": "not-a-number"},
        {"field": "program", "program": "99999999999999999999999"},
        {"search": "%", "field": "__class__"},
    ):
        response = client.get(CHOICES, params)
        assert response.status_code == 200, params


def test_every_word_typed_must_be_found_and_people_are_found_by_name(client, pmo):
    from tests.factories import UserFactory

    programs(SHOWN + 1)
    Program.objects.create(name="Cloud migration wave 2")
    Program.objects.create(name="Data platform")
    UserFactory(username="jdoe7", first_name="Jane", last_name="Doe")
    UserFactory(username="svc-batch", first_name="", last_name="")
    client.force_login(pmo)
    people = reverse("core:choice-options", args=["people"])

    def labels(url: str, search: str) -> list[str]:
        body = client.get(url, {"search": search, "field": "owner"}).content.decode()
        return [label for value, label in option_texts(body) if value]

    assert labels(CHOICES, "wave cloud") == ["Cloud migration wave 2"]
    assert labels(CHOICES, "wave data") == []
    assert labels(people, "jane doe") == ["Jane Doe"]
    assert labels(people, "svc") == ["svc-batch"]  # no name: found by the username the list shows
    assert labels(people, "jdoe") == []  # a username behind a name is not revealed
