"""The browser benchmark's arithmetic (no browser): the summary of its timings, the JavaScript it counts from
resource timing entries, and what it takes for immutable caching."""

from __future__ import annotations

from demo.browserbench import Samples, ScriptBytes, is_immutable, script_bytes


def test_samples_summarise_by_median_and_maximum():
    # given
    odd = Samples([812.5, 640.0, 1210.25, 700.0, 655.5])
    even = Samples([300.0, 100.0, 200.0, 400.0])
    # then
    assert (odd.p50, odd.max) == (700.0, 1210.25)
    assert (even.p50, even.max) == (250.0, 400.0)


def test_script_bytes_sum_the_javascript_files_only():
    # given: resource timing entries as the page reports them (a script served from the cache transfers 0)
    entries = [
        {
            "name": "http://127.0.0.1:8000/static/vendor/plotly/plotly-bearing.min.1c917ef2f342.js",
            "transferSize": 503_519,
            "encodedBodySize": 503_219,
            "decodedBodySize": 1_484_609,
        },
        {
            "name": "http://127.0.0.1:8000/static/js/charts.f095d0c4e1a2.js?v=2",
            "transferSize": 0,
            "encodedBodySize": 1_101,
            "decodedBodySize": 2_583,
        },
        {
            "name": "http://127.0.0.1:8000/static/css/bearing.0a1b2c3d4e5f.css",
            "transferSize": 4_300,
            "encodedBodySize": 4_000,
            "decodedBodySize": 16_000,
        },
        {
            "name": "http://127.0.0.1:8000/static/img/json.js.svg",
            "transferSize": 700,
            "encodedBodySize": 400,
            "decodedBodySize": 400,
        },
    ]
    # then
    assert script_bytes(entries) == ScriptBytes(
        files=2, transferred=503_519, encoded=504_320, decoded=1_487_192
    )
    assert script_bytes([]) == ScriptBytes(files=0, transferred=0, encoded=0, decoded=0)


def test_only_the_immutable_directive_makes_a_file_immutable():
    assert is_immutable("max-age=315360000, public, immutable") is True
    assert is_immutable("public,Immutable") is True
    assert is_immutable("max-age=60, public") is False
    assert is_immutable("no-cache; immutable-ish") is False
    assert is_immutable(None) is False
    assert is_immutable("") is False
