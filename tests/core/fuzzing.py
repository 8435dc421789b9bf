"""The machinery of the URL fuzz (tests/core/test_url_fuzz.py).

Every route of the URLconf is found by walking the resolver; a crawl of the site as an administrator finds a
working example of each (and of each value of a word in its path, e.g. each kind of record) and the forms that
post to it, with their fields and default values. A plan then combines, deterministically, the routes with
hostile ids, query strings and form values, wrong methods, htmx and missing CSRF tokens, as every role; the
runner sends them all and collects every failure into one report.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

# ---------------------------------------------------------------------------------------------- hostile values

BAD_IDS = [
    "abc",
    "-1",
    "0",
    "1.5",
    "99999999999999999999999",
    "9223372036854775808",
    "é日本",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "../../../etc/passwd",
    "%2e%2e",
    "1%0a",
    "x" * 10_000,
]

LONG = "x" * 10_000
JUNK = [
    "bogus",
    "",
    "-1",
    "0",
    "99999999999999999999999",
    "2026-02-30",
    "1e309",
    "NaN",
    ";drop table x;--",
    "' OR '1'='1",
    "\x00",
    "a\x00b",
    LONG,
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/ok\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "日本語 é ١٢٣",
    "<script>alert(1)</script>",
    "31/12/2026",
    "true",
    "[]",
]

# Names a view may read without a form declaring them: return targets, paging, sorting, searching, htmx and the
# admin's own parameters.
COMMON_NAMES = [
    "next",
    "back",
    "return_to",
    "page",
    "per_page",
    "sort",
    "q",
    "since",
    "download",
    "reload",
    "format",
    "o",
    "p",
    "e",
    "_popup",
    "_to_field",
    "_changelist_filters",
]

# What no response may contain: a stack trace or a database's words.
LEAKS = [
    "Traceback",
    "IntegrityError",
    "OperationalError",
    "ProgrammingError",
    "DataError",
    "duplicate key",
    "violates",
    "DETAIL:",
    "sqlite3",
    "psycopg",
    "NUL (0x00)",
    'File "/',
]

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
WRONG_METHODS = ["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# ---------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    """One URL pattern: `key` as ResolverMatch.route spells it, a %-template of its path and its parameters."""

    key: str
    name: str
    template: str
    params: tuple[str, ...]

    @property
    def admin(self) -> bool:
        return self.key.startswith("admin/")

    def path(self, values: dict[str, str]) -> str:
        return "/" + self.template % {name: values[name] for name in self.params}


def _join_route(outer: str, inner: str) -> str:
    """As Django joins the patterns of nested resolvers into ResolverMatch.route."""
    return inner if not outer else outer + inner.removeprefix("^")


def walk_routes() -> list[Route]:
    """Every URL pattern of the URLconf, included ones and the admin's, in URLconf order."""
    found: list[Route] = []

    def walk(patterns: list[Any], regex: str, route: str, namespace: str) -> None:
        for pattern in patterns:
            own = pattern.pattern.regex.pattern.removeprefix("^")
            key = _join_route(route, str(pattern.pattern))
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else ""
                walk(pattern.url_patterns, regex + own, key, inner or pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                template, params = normalize(regex + own)[0]
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or ""
                found.append(Route(key=key, name=name, template=template, params=tuple(params)))

    walk(get_resolver().url_patterns, "", "", "")
    return found


def route_of(path: str) -> tuple[str, dict[str, str]] | None:
    """The route a path resolves to and the raw values of its parameters (None if it resolves to nothing)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    values = {f"_{index}": str(value) for index, value in enumerate(match.args)}
    captured: dict[str, Any] = getattr(match, "captured_kwargs", match.kwargs)
    values.update({name: str(value) for name, value in captured.items()})
    return match.route, values


# ---------------------------------------------------------------------------------------------- pages


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)


class PageParser(HTMLParser):
    """The links (href, action, hx-get, hx-post) and the forms of a page, with their fields' default values."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None
        self._option: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        for name in ("href", "hx-get", "hx-post"):
            if a.get(name):
                self.links.append(a[name])
        if tag == "form":
            action = a.get("action") or self.page
            self.links.append(action)
            self._form = Form(method=(a.get("method") or "get").upper(), action=action)
            self.forms.append(self._form)
        elif self._form is None or "name" not in a or "disabled" in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value", "on")))
            elif kind not in {"submit", "button", "image", "reset", "file"}:
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = (a["name"], "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple, options = self._select
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not multiple:
                chosen = [options[0][0]]
            self._form.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.fields.append((name, "".join(text).removeprefix("\n")))
            self._textarea = None


def local_path(url: str, page: str) -> tuple[str, str] | None:
    """(path, query) of a link on this site, or None for another site, a fragment or a script."""
    if url.startswith("#") or url.startswith("javascript:") or url.startswith("mailto:"):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return urlsplit(urljoin(page, url)).path, parts.query


# ---------------------------------------------------------------------------------------------- the crawl


@dataclass
class Example:
    """A working instance of a route: the values of its parameters, and the forms that post to it."""

    route: Route
    values: dict[str, str]
    allowed: set[str] = field(default_factory=lambda: set(METHODS))
    query_names: set[str] = field(default_factory=set)
    forms: list[tuple[str, Form]] = field(default_factory=list)  # (page the form is on, form)

    @property
    def path(self) -> str:
        return self.route.path(self.values)


def variant(route: Route, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """Examples are kept per route and per value of each word parameter (a kind of record, a chart, an app):
    those choose different code, ids do not."""
    words = tuple(f"{k}={v}" for k, v in sorted(values.items()) if not v.isdigit())
    return route.key, words


def crawl(
    client: Client,
    routes: list[Route],
    *,
    seeds: list[str],
    avoid: Callable[[str], bool],
    limit: int = 600,
) -> dict[tuple[str, tuple[str, ...]], Example]:
    """Visit the site from `seeds` as `client`, one page per route variant, and return an example of each
    variant reached, with the query names its links use and the forms that post to it."""
    by_key = {route.key: route for route in routes}
    examples: dict[tuple[str, tuple[str, ...]], Example] = {}
    queue = [(seed, "") for seed in seeds]
    visited: set[str] = set()
    while queue and len(visited) < limit:
        path, _query = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path)
        example = _example_for(path, by_key, examples)
        if example is not None and response.status_code == 405:
            example.allowed = {m.strip() for m in response.get("Allow", "").split(",") if m.strip()}
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        parser = PageParser(path)
        parser.feed(response.content.decode("utf-8", "replace"))
        for link in parser.links:
            local = local_path(link, path)
            if local is None or avoid(local[0]):
                continue
            target = _example_for(local[0], by_key, examples)
            if target is None:
                continue
            target.query_names.update(name for name, _ in parse_qsl(local[1], keep_blank_values=True))
            if local[0] not in visited and target.path == local[0]:
                queue.append(local)
        for form in parser.forms:
            local = local_path(form.action, path)
            if local is None or avoid(local[0]):
                continue
            target = _example_for(local[0], by_key, examples)
            if target is None:
                continue
            if form.method == "GET":
                target.query_names.update(name for name, _ in form.fields)
            else:
                signature = sorted({name for name, _ in form.fields})
                known = [sorted({name for name, _ in f.fields}) for _, f in target.forms]
                if signature not in known and len(target.forms) < 3:
                    form.action = local[0]
                    target.forms.append((path, form))
    return examples


def _example_for(
    path: str, by_key: dict[str, Route], examples: dict[tuple[str, tuple[str, ...]], Example]
) -> Example | None:
    found = route_of(path)
    if found is None or found[0] not in by_key:
        return None
    route = by_key[found[0]]
    key = variant(route, found[1])
    if key not in examples:
        examples[key] = Example(route=route, values=found[1])
    return examples[key]


def refresh_form(client: Client, page: str, form: Form) -> Form:
    """The same form as the page shows it now (its version moves on after a save); failing that, the same form
    of another record of the same route (the first one left the page, e.g. an action marked done); failing
    that, the form as it was."""
    response = client.get(page)
    if response.status_code != 200:
        return form
    parser = PageParser(page)
    parser.feed(response.content.decode("utf-8", "replace"))
    signature = sorted({name for name, _ in form.fields})
    route = route_of(form.action)
    alike = []
    for candidate in parser.forms:
        local = local_path(candidate.action, page)
        if local is None or sorted({n for n, _ in candidate.fields}) != signature:
            continue
        candidate.action = local[0]
        if local[0] == form.action:
            return candidate
        found = route_of(local[0])
        if route is not None and found is not None and found[0] == route[0]:
            alike.append(candidate)
    return alike[0] if alike else form


# ---------------------------------------------------------------------------------------------- requests


@dataclass
class Case:
    """One request: who sends it, how, where, and what hostile thing it carries."""

    route: str
    role: str
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    data: Callable[[], list[tuple[str, str]]] | None = None
    htmx: str = ""  # "", "request" or "restore"
    csrf: bool = False  # sent through a client that enforces CSRF, without a token
    note: str = ""
    form: int | None = None  # the slot of the form it posts, refreshed after a request that may have saved
    target: Callable[[], str] | None = None  # where the form posts now (it may move to another record)


@dataclass
class Failure:
    case: Case
    status: int
    why: str

    def line(self) -> str:
        case = self.case
        flags = [flag for flag in (case.htmx and f"htmx={case.htmx}", case.csrf and "no-csrf") if flag]
        return (
            f"{self.status} {case.method} {short(case.path)} as {case.role}"
            f"{' [' + ', '.join(flags) + ']' if flags else ''} ({case.route}; {case.note}): {self.why}"
        )


def short(text: str, limit: int = 120) -> str:
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


HEADERS = {
    "": {},
    "request": {"HX-Request": "true"},
    "restore": {"HX-Request": "true", "HX-History-Restore-Request": "true"},
}


def send(client: Client, case: Case) -> Any:
    headers = HEADERS[case.htmx]
    if case.target is not None:
        case.path = case.target()
    path = case.path + ("?" + urlencode(case.query) if case.query else "")
    data = case.data() if case.data is not None else []
    if case.method == "GET":
        return client.get(path, headers=headers)
    if case.method == "HEAD":
        return client.head(path, headers=headers)
    if case.method == "OPTIONS":
        return client.options(path, headers=headers)
    body = urlencode(data)
    return client.generic(
        case.method, path, body, content_type="application/x-www-form-urlencoded", headers=headers
    )


def check(case: Case, response: HttpResponse) -> str | None:
    """Why the response is wrong, or None."""
    if response.status_code >= 500:
        error = getattr(response, "exc_info", None)
        if error and error[1] is not None:
            return f"{type(error[1]).__name__}: {short(str(error[1]), 200)}"
        return "server error"
    # refused: forbidden, not found, and for the API (which checks the CSRF token of a session itself, after
    # the method and before anything else) a method it does not offer or a caller it does not know
    if case.csrf and case.method in UNSAFE and response.status_code not in {401, 403, 404, 405}:
        return "an unsafe request without a CSRF token was not refused"
    if response.streaming:
        return None
    body = response.content.decode("utf-8", "replace")
    leaked = [marker for marker in LEAKS if marker in body]
    if leaked:
        return f"the body shows {', '.join(leaked)}"
    for name, value in response.items():
        if any(marker in value for marker in LEAKS):
            return f"the header {name} shows database or stack text"
    return None


@contextmanager
def quiet_request_logs() -> Iterator[None]:
    """Thousands of 404s, 405s and 403s are the point here: keep them out of the log (failures are reported)."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before, strict=True):
            logger.disabled = disabled


def logged_out(client: Client) -> bool:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie is None or not cookie.value


def rotate(items: list[Any], start: int, count: int) -> list[Any]:
    """`count` items from `items`, starting at `start` and wrapping round: a deterministic sample that moves
    with `start`, so that different routes get different hostile values."""
    count = min(count, len(items))
    return list(itertools.islice(itertools.cycle(items), start % len(items), start % len(items) + count))


@dataclass
class Outcome:
    failures: list[Failure] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def report(self, cases: list[Case], limit: int = 200) -> str:
        lines = [failure.line() for failure in self.failures[:limit]]
        if len(self.failures) > limit:
            lines.append(f"... and {len(self.failures) - limit} more")
        return f"{len(self.failures)} of {len(cases)} requests failed:\n" + "\n".join(lines)

    def summary(self, cases: list[Case]) -> str:
        methods = ", ".join(sorted({case.method for case in cases}))
        roles = ", ".join(sorted({case.role for case in cases}))
        return (
            f"{len(cases)} requests ({methods}; as {roles}) in {self.seconds:.1f} s; "
            f"statuses {dict(sorted(self.statuses.items()))}"
        )


def run(
    cases: list[Case],
    *,
    clients: dict[str, Client],
    csrf_clients: dict[str, Client],
    login: Callable[[str, Client], None],
    forms: dict[int, tuple[str, Form]],
    refresher: Client,
) -> Outcome:
    """Send every case and collect what went wrong. A client logged out by a request (the logout pages) is
    logged in again; after a POST that may have saved, the form it posted is read again from its page."""
    outcome = Outcome()
    started = time.perf_counter()
    with quiet_request_logs():
        for case in cases:
            client = (csrf_clients if case.csrf else clients)[case.role]
            response = send(client, case)
            outcome.statuses[response.status_code] += 1
            why = check(case, response)
            if why:
                outcome.failures.append(Failure(case, response.status_code, why))
            if case.role != "anonymous" and logged_out(client):
                login(case.role, client)
            # a save moves the record's version on (and a 500 may come after the save)
            if case.form is not None and case.method == "POST" and not 400 <= response.status_code < 500:
                page, form = forms[case.form]
                forms[case.form] = (page, refresh_form(refresher, page, form))
    outcome.seconds = time.perf_counter() - started
    return outcome


ADMIN_DELETE = re.compile(r"_delete$")
