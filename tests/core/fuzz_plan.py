"""The plan of the URL fuzz: which requests each route gets, sampled deterministically.

Each route (each variant: a kind of record, a chart, an app of the admin) gets every role with its own
methods, and a share of the hostile ids, query values and form values that moves from route to route with
the route's index, so the whole run sends every hostile value many times over in a bounded number of
requests. BEARING_FUZZ=full sends every value to every route instead (a local hunt: slow).
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps

from tests.core import fuzzing as fz

FULL = os.environ.get("BEARING_FUZZ", "") == "full"
ROLES = ["anonymous", "executive", "pmo", "manager", "steering_member", "admin_user", "outsider"]
# Roles that reach deepest into the app's views (the outsider and anonymous stop at the door).
DEEP_APP = ["pmo", "admin_user", "manager", "steering_member", "executive"]
NEXT_JUNK = [
    "bogus",
    "//evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/ok\r\nSet-Cookie: x=1",
    "javascript:alert(1)",
    fz.LONG,
    "\x00",
    "",
]


def _budget(app: int, admin: int, route: fz.Route) -> int:
    return 10_000 if FULL else (admin if route.admin else app)


class Plan:
    """Builds the cases of one route variant; `i` (the variant's index) moves the samples from route to route."""

    def __init__(
        self, example: fz.Example, i: int, store: dict[int, tuple[str, fz.Form]], slots: list[int]
    ) -> None:
        self.example, self.i, self.store = example, i, store
        self.forms = {slot: store[slot] for slot in slots}
        self.route = example.route
        self.cases: list[fz.Case] = []

    def add(self, role: str, method: str, note: str, **kwargs: Any) -> None:
        kwargs.setdefault("path", self.example.path)
        self.cases.append(
            fz.Case(route=self.route.name or self.route.key, role=role, method=method, note=note, **kwargs)
        )

    def deep(self, k: int) -> str:
        return "admin_user" if self.route.admin else DEEP_APP[(self.i + k) % len(DEEP_APP)]

    def htmx(self, k: int) -> str:
        return ["", "request", "", "restore", "request"][(self.i + k) % 5]

    def base(self, slot: int | None) -> list[tuple[str, str]]:
        if slot is None:
            return []
        fields = self.store[slot][1].fields
        # A confirmed deletion in the admin cascades through the data set: send its confirmation only junk.
        if fz.ADMIN_DELETE.search(self.route.name):
            return [(name, value) for name, value in fields if name != "post"]
        return list(fields)

    def data(self, slot: int | None, change: Any = None) -> Any:
        def build() -> list[tuple[str, str]]:
            pairs = self.base(slot)
            return change(pairs) if change else pairs

        return build

    def form_kwargs(self, slot: int | None) -> dict[str, Any]:
        """Post where the form posts now (after a save it may be another record's form)."""
        if slot is None:
            return {}
        return {"form": slot, "target": lambda: self.store[slot][1].action}

    # -- the sections of the plan

    def roles(self) -> None:
        """Every role GETs the route; every role POSTs its form (where it has one, or only takes POST); one
        role tries a wrong method. The admin, which only staff pass, gets the administrator and one other."""
        first = next(iter(self.forms), None)
        posts = first is not None or "GET" not in self.example.allowed
        roles = ROLES if not self.route.admin else ["admin_user", ROLES[self.i % len(ROLES)]]
        for j, role in enumerate(dict.fromkeys(roles)):
            self.add(role, "GET", "valid", htmx=self.htmx(j))
            # in the admin, anyone but the administrator stops at its login: a GET shows that
            if (posts or j == self.i % len(roles)) and (role == "admin_user" or not self.route.admin or FULL):
                self.add(
                    role,
                    "POST",
                    "its own form",
                    data=self.data(first),
                    htmx=self.htmx(j + 1),
                    **self.form_kwargs(first),
                )
        for j in range(1 if not FULL else len(fz.WRONG_METHODS)):
            role = roles[(self.i + j) % len(roles)]
            wrong = fz.WRONG_METHODS[(self.i + j) % len(fz.WRONG_METHODS)]
            self.add(role, wrong, "wrong method", data=self.data(first), htmx=self.htmx(j + 2))

    def bad_ids(self) -> None:
        count = _budget(4, 2, self.route)
        for p, name in enumerate(self.route.params):
            for k, token in enumerate(fz.rotate(fz.BAD_IDS, self.i + 3 * p, count)):
                values = {**self.example.values, name: token}
                method = "GET" if k % 2 == 0 else "POST"
                self.add(
                    self.deep(k),
                    method,
                    f"{name}={fz.short(token, 20)}",
                    path=self.route.path(values),
                    htmx=self.htmx(k),
                )

    def query(self) -> None:
        """Every name at once with one hostile value, then each name the route's links and forms use alone
        (with `next` and `page`, which views read without declaring), then every name twice."""
        own = sorted(self.example.query_names)
        names = list(dict.fromkeys(own + fz.COMMON_NAMES))
        gets = "GET" in self.example.allowed
        first = next(iter(self.forms), None)
        method = "GET" if gets else "POST"
        data = None if gets else self.data(first)
        for k, junk in enumerate(fz.rotate(fz.JUNK, self.i, _budget(2, 1, self.route))):
            self.add(
                self.deep(k),
                method,
                f"every query name={fz.short(junk, 20)}",
                query=[(name, junk) for name in names],
                data=data,
                htmx=self.htmx(k),
            )
        # the admin's `next` and `page` are Django's own: every name at once is enough there
        alone = names if FULL else own if self.route.admin else list(dict.fromkeys([*own, "next", "page"]))
        for k, name in enumerate(alone):
            junk = (
                NEXT_JUNK[(self.i + k) % len(NEXT_JUNK)]
                if name == "next"
                else fz.JUNK[(self.i + 5 * k) % len(fz.JUNK)]
            )
            self.add(
                self.deep(k),
                method,
                f"query {name}={fz.short(junk, 20)}",
                query=[(name, junk)],
                data=data,
                htmx=self.htmx(k),
            )
        if self.route.admin and not own and not FULL:
            return
        arrays = [(name, junk) for name in names for junk in ("1", fz.JUNK[self.i % len(fz.JUNK)])]
        arrays += [(f"{name}[]", "1") for name in names]
        self.add(self.deep(1), method, "every query name twice", query=arrays, data=data)

    def form_values(self) -> None:
        """Each field of each form with a hostile value (the others as the page filled them), a few fields
        missing or sent twice, then every field at once."""
        for slot, (_page, form) in self.forms.items():
            names = list(dict.fromkeys(name for name, _ in form.fields if name != "csrfmiddlewaretoken"))
            chosen = names if not self.route.admin or FULL else fz.rotate(names, self.i, 2) if names else []
            for k, name in enumerate(chosen):
                junk = _junk_for(name, self.i + 3 * k)
                self.add(
                    self.deep(k),
                    "POST",
                    f"field {name}={fz.short(junk, 20)}",
                    htmx=self.htmx(k),
                    data=self.data(slot, _set(name, junk)),
                    **self.form_kwargs(slot),
                )
            for k, name in enumerate(fz.rotate(names, self.i, 0 if self.route.admin else 2) if names else []):
                self.add(
                    self.deep(k + 1),
                    "POST",
                    f"field {name} missing",
                    htmx=self.htmx(k + 1),
                    data=self.data(slot, _drop(name)),
                    **self.form_kwargs(slot),
                )
                self.add(
                    self.deep(k + 2),
                    "POST",
                    f"field {name} twice",
                    htmx=self.htmx(k + 2),
                    data=self.data(slot, _twice(name, _junk_for(name, self.i + k))),
                    **self.form_kwargs(slot),
                )
            for k, junk in enumerate(fz.rotate(fz.JUNK, self.i + slot, _budget(2, 1, self.route))):
                self.add(
                    self.deep(k),
                    "POST",
                    f"every field={fz.short(junk, 20)}",
                    htmx=self.htmx(k),
                    data=self.data(slot, _all(junk)),
                    **self.form_kwargs(slot),
                )

    def extras(self) -> None:
        """Names no form declares but a view may read, added to each form's own values: `next` with every
        hostile target in turn, the others all at once."""
        for slot in self.forms:
            # "bogus" always (the plainest wrong target), then a share of the others
            share = _budget(2, 0, self.route)
            targets = [NEXT_JUNK[0], *fz.rotate(NEXT_JUNK[1:], self.i + slot, share)]
            for k, junk in enumerate(targets):
                self.add(
                    self.deep(k),
                    "POST",
                    f"extra next={fz.short(junk, 20)}",
                    htmx=self.htmx(k),
                    data=self.data(slot, _set("next", junk)),
                    **self.form_kwargs(slot),
                )
            junk = fz.JUNK[self.i % len(fz.JUNK)]
            others = [(name, junk) for name in fz.COMMON_NAMES if name != "next"]
            self.add(
                self.deep(len(targets)),
                "POST",
                f"extra names={fz.short(junk, 20)}",
                htmx=self.htmx(slot),
                data=self.data(slot, _add(others)),
                **self.form_kwargs(slot),
            )

    def no_csrf(self) -> None:
        """An unsafe request without a CSRF token, as a browser on another site would send it."""
        first = next(iter(self.forms), None)
        self.add(ROLES[self.i % len(ROLES)], "POST", "no CSRF token", data=self.data(first), csrf=True)
        if not self.route.admin or FULL:
            method = ["PUT", "DELETE", "PATCH"][self.i % 3]
            self.add(
                ROLES[(self.i + 3) % len(ROLES)], method, "no CSRF token", data=self.data(first), csrf=True
            )


# A formset's management fields: a huge count makes Django build its maximum of a thousand forms (its own
# bound), which costs a second a request; an invalid count is what matters here.
MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
MANAGEMENT_JUNK = ["abc", "-1", "", "1.5", "\x00"]


def _junk_for(name: str, index: int) -> str:
    junk = MANAGEMENT_JUNK if name.endswith(MANAGEMENT) else fz.JUNK
    return junk[index % len(junk)]


def _add(pairs: list[tuple[str, str]]) -> Any:
    names = {name for name, _ in pairs}
    return lambda base: [(n, v) for n, v in base if n not in names] + pairs


def _set(name: str, value: str) -> Any:
    def change(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(n, v) for n, v in pairs if n != name] + [(name, value)]

    return change


def _drop(name: str) -> Any:
    return lambda pairs: [(n, v) for n, v in pairs if n != name]


def _twice(name: str, value: str) -> Any:
    return lambda pairs: [*pairs, (name, value)]


def _all(value: str) -> Any:
    keep = ("csrfmiddlewaretoken", *MANAGEMENT)
    return lambda pairs: [(n, v if n.endswith(keep) else value) for n, v in pairs]


def admin_object_hint(route: fz.Route) -> dict[str, str] | None:
    """An id for the admin's routes that only redirect (admin/<app>/<model>/<id>/): the model's first row."""
    parts = route.key.split("/")
    if parts[0] != "admin" or route.params != ("object_id",) or len(parts) < 4:
        return None
    model = apps.get_model(parts[1], parts[2])
    return {"object_id": str(model._default_manager.order_by("pk").values_list("pk", flat=True)[0])}


def _order(example: fz.Example) -> tuple[int, str]:
    """Deletions last, so that what they delete is there for every other route first."""
    name = example.route.name
    destructive = any(word in name for word in ("delete", "remove", "logout"))
    return (1 if destructive else 0, example.route.key)


def plan(examples: list[fz.Example]) -> tuple[list[fz.Case], dict[int, tuple[str, fz.Form]]]:
    """Every request of the run, in order, and the forms they post (by slot; the runner refreshes them)."""
    cases: list[fz.Case] = []
    forms: dict[int, tuple[str, fz.Form]] = {}
    for i, example in enumerate(sorted(examples, key=_order)):
        slots = []
        for page, form in example.forms:
            slots.append(len(forms))
            forms[len(forms)] = (page, form)
        route = Plan(example, i, forms, slots)
        # hostile values first, while the forms' records are as the crawl found them
        route.extras()
        route.form_values()
        route.query()
        route.bad_ids()
        route.roles()
        route.no_csrf()
        cases.extend(route.cases)
    return cases, forms
