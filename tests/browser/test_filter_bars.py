"""The filter bars of the register, the dashboard and the signal list show every option's whole label at the
widths executives use (1280 and 1440 px): a select cannot wrap its text, so a cut label ("Funded: a",
"All catego") is a field too narrow."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from demo.northwind import DEMO_PASSWORD, build_demo
from tests.browser.conftest import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# For each select of the filter form: the room its text has (its width less the padding, which holds the
# arrow) and each option whose label, in the select's own font, is wider than that.
CUT_LABELS = """() => {
  const context = document.createElement('canvas').getContext('2d');
  const cut = {};
  for (const select of document.querySelectorAll('form.filters select')) {
    const style = getComputedStyle(select);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    cut[select.name] = [...select.options].map(o => o.text).filter(t => context.measureText(t).width > room);
  }
  return cut;
}"""


def cut_labels(page: Any) -> dict[str, list[str]]:
    return page.evaluate(CUT_LABELS)


@pytest.mark.parametrize("width", [1280, 1440])
def test_every_filter_option_shows_its_whole_label(page, width):
    # given the demo portfolio (its longest labels: "Funded: approved, in delivery or live", "O4.1 Grow the
    # loyalty programme to 3 million active members", "T5 Be secure, compliant and data-driven")
    build_demo(as_of=timezone.localdate())
    login(page, "cio", DEMO_PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)

    for url, fields in [
        ("/initiatives/", ["stage", "category", "program", "sponsor", "objective", "tier", "status"]),
        ("/dashboard/", ["program", "theme", "tier", "stage", "category"]),
        ("/signals/", ["rule", "severity", "owner", "program"]),
    ]:
        # when the page is opened at this width
        page.goto(url)
        page.locator("form.filters").screenshot(
            path=str(ARTIFACTS / f"filters{url.replace('/', '-')}{width}.png")
        )

        # then no option of any select is cut
        assert cut_labels(page) == {name: [] for name in fields}, url
    page.watch.assert_clean()
