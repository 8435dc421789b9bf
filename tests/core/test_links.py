"""Links to records in bulk: a URL pattern reversed once, for the URLconf and script prefix in force."""

from __future__ import annotations

from django.urls import clear_script_prefix, set_script_prefix

from core.links import url_pattern


def test_a_pattern_follows_the_script_prefix_it_is_served_under():
    # given: the same pattern asked for at the root and under a prefix, then at the root again
    at_root = url_pattern("portfolio:initiative-detail")
    set_script_prefix("/bearing/")
    try:
        under_prefix = url_pattern("portfolio:initiative-detail")
    finally:
        clear_script_prefix()
    # then: each is the one for its prefix, and the root's is unchanged by the other
    assert at_root == "/initiatives/{}/"
    assert under_prefix == "/bearing/initiatives/{}/"
    assert url_pattern("portfolio:initiative-detail") == "/initiatives/{}/"
    assert url_pattern("portfolio:initiative-detail").format(42) == "/initiatives/42/"
