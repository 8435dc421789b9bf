"""Lists counted up to a bound: what they say about their size, and the pages they cut."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import paging
from core.paging import Tally, about, capped_counts, capped_page, table_estimate, tally
from portfolio.models import Initiative
from risk.models import Risk
from tests.factories import InitiativeFactory, RiskFactory


@pytest.mark.parametrize(
    ("tally_", "text", "short", "plural"),
    [
        (Tally(0), "0", "0", "s"),
        (Tally(1), "1", "1", ""),
        (Tally(9_999), "9,999", "9,999", "s"),
        (Tally(10_000), "10,000", "10,000", "s"),
        (Tally(10_000, capped=True), "more than 10,000", "10,000+", "s"),
        (Tally(1, capped=True), "more than 1", "1+", ""),
        (Tally(10_000, capped=True, estimate=123_456), "about 120,000", "10,000+", "s"),
        (Tally(10_000, capped=True, estimate=9_000), "more than 10,000", "10,000+", "s"),
    ],
)
def test_a_tally_says_the_count_or_that_there_are_more(tally_, text, short, plural):
    assert (str(tally_), tally_.short, tally_.plural) == (text, short, plural)


@pytest.mark.parametrize(
    ("number", "rounded"),
    [(7, 7), (42, 42), (149, 150), (100_000, 100_000), (123_456, 120_000), (95_871, 96_000)],
)
def test_an_estimate_is_told_to_two_significant_figures(number, rounded):
    assert about(number) == rounded


@pytest.fixture
def five(db) -> list[Initiative]:
    return [InitiativeFactory(code=f"T-{n}", budget_capex=n * 1000, budget_opex=0) for n in range(1, 6)]


def test_rows_are_counted_and_summed_exactly_up_to_the_bound(five):
    rows = Initiative.objects.all()

    assert tally(rows, bound=5, sums=["budget_capex"]) == (Tally(5), {"budget_capex": 15_000})
    assert tally(rows, bound=4, sums=["budget_capex"]) == (Tally(4, capped=True), {})
    assert tally(rows.filter(code__in=["T-1", "T-2"]), bound=2) == (Tally(2), {})


def test_a_capped_page_has_no_last_page_but_knows_whether_another_follows(five):
    rows = Initiative.objects.order_by("code")

    first = capped_page(rows, 1, 2, bound=3)
    last = capped_page(rows, 3, 2, bound=3)

    assert [i.code for i in first.object_list] == ["T-1", "T-2"]
    assert (first.tally, first.num_pages, first.has_next, first.has_previous) == (
        Tally(3, capped=True),
        None,
        True,
        False,
    )
    assert [i.code for i in last.object_list] == ["T-5"]
    assert (last.num_pages, last.has_next, last.has_previous) == (None, False, True)


def test_a_page_past_the_end_is_the_last_page_counted_or_not(five):
    rows = Initiative.objects.order_by("code")

    counted = capped_page(rows, 9, 2, bound=10)
    capped = capped_page(rows, 9, 2, bound=3)

    assert (counted.number, counted.num_pages, [i.code for i in counted.object_list]) == (3, 3, ["T-5"])
    # past the end of a list longer than the bound, the list is counted once to find its last page
    assert (capped.number, capped.tally, [i.code for i in capped.object_list]) == (3, Tally(5), ["T-5"])


def test_a_capped_page_costs_the_same_queries_whatever_the_size(db):
    rows = Initiative.objects.order_by("code")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            capped_page(rows, 1, 2, bound=3)
        return len(captured)

    InitiativeFactory(code="S-1")
    small = queries()
    for n in range(2, 9):
        InitiativeFactory(code=f"S-{n}")

    assert queries() == small == 3  # the tally, the keys of the page, the rows of the page


def test_a_list_counted_empty_reads_no_page(five):
    rows = Initiative.objects.filter(code__startswith="none").order_by("code")

    for number, narrow in ((1, True), (3, True), (1, False)):
        with CaptureQueriesContext(connection) as captured:
            page = capped_page(rows, number, 2, bound=3, narrow=narrow)
        assert (page.object_list, page.number, page.tally, page.has_next) == ([], 1, Tally(0), False)
        assert len(captured) == 1  # the tally alone


def test_groups_are_counted_up_to_the_bound_in_one_query(five):
    groups = [{"code": "T-1"}, {"code": "nothing"}, {"code": "T-3"}]

    with CaptureQueriesContext(connection) as captured:
        counted = capped_counts(Initiative.objects.filter(budget_capex__gte=2000), groups, bound=1)
    wide = capped_counts(Initiative.objects.all(), [{"stage": "in_delivery"}], bound=2)

    assert counted == [Tally(0), Tally(0), Tally(1)]
    assert len(captured) == 1
    assert wide == [Tally(2, capped=True)]


def test_group_values_are_compared_exactly_or_refused(five):
    with pytest.raises(ValueError, match="compares"):
        capped_counts(Initiative.objects.all(), [{"code__icontains": "t"}], bound=5)


def test_the_estimate_of_a_table_is_postgresqls_alone(five):
    estimate = table_estimate(Initiative)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE portfolio_initiative")
        assert table_estimate(Initiative) == 5
    else:
        assert estimate is None


def test_the_bound_is_ten_thousand():
    assert paging.COUNT_BOUND == 10_000


def test_groups_of_an_integer_column_are_counted_exactly(five):
    # given: risks of probability 3 (twice) and 4, an integer column, which would refuse a text placeholder
    for n, probability in enumerate([3, 3, 4]):
        RiskFactory(initiative=five[0], title=f"Risk {n}", probability=probability, impact=2)
    groups = [{"probability": 1}, {"probability": 3}, {"probability": 4}]

    # when
    counted = capped_counts(Risk.objects.all(), groups, bound=1)

    # then
    assert counted == [Tally(0), Tally(1, capped=True), Tally(1)]


def test_groups_of_rows_that_match_nothing_count_nothing(five):
    counted = capped_counts(Initiative.objects.filter(pk__in=[]), [{"code": "T-1"}, {"code": "T-2"}], bound=5)

    assert counted == [Tally(0), Tally(0)]
