"""The study page, the table's filters, the writes and the overlay page in a real browser
(Debian's chromium): every figure drawn, escaped text, live updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_studies import CHROMIUM_ARGS, hand_value, make_hand_storage, serving, shot

import tunesmith as ts
from tunesmith.trial import FrozenTrial, TrialState

HOSTILE = "<img src=x onerror=alert(1)>"
# tags the charting library reads in its own texts (bold, a link): shown as typed all the same
PLOT_HOSTILE = '<b>bold</b><a href="javascript:alert(2)">link</a>' + HOSTILE


@pytest.fixture
def hand_url(tmp_path: Path) -> str:
    return make_hand_storage(tmp_path)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, dialogs: list):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page


def _layout_type(page, selector: str, axis: str) -> str:
    return page.evaluate(f"document.querySelector({selector!r}).layout.{axis}.type")


def test_study_page_draws_every_figure_and_filters_the_table(hand_url, browser, tmp_path):
    from playwright.sync_api import expect

    from tunesmith.dashboard import create_app

    dialogs: list[str] = []
    trials = ts.load_study("hand", hand_url).trials
    with serving(create_app(hand_url)) as base:
        page = _page(browser, dialogs)
        page.goto(base + "/study/1")
        expect(page.locator("#history")).to_have_attribute("data-points", "44")
        expect(page.locator("#timeline")).to_have_attribute(
            "data-states", "COMPLETE,PRUNED,FAIL,RUNNING"
        )
        expect(page.locator("#parallel")).to_have_attribute("data-lines", "40")
        expect(page.locator("#intermediate")).to_have_attribute("data-curves", "42")
        expect(page.locator("#edf")).to_have_attribute("data-curves", "1")
        expect(page.locator("#slice .panel")).to_have_count(3)
        # the first fit of the default pair imports scikit-learn: seconds on a busy machine
        expect(page.locator("#contour")).to_have_attribute("data-pair", "n,x", timeout=30000)
        assert _layout_type(page, '#slice .panel[data-param="x"]', "xaxis") == "log"
        assert _layout_type(page, "#contour", "yaxis") == "log"
        assert page.evaluate("document.querySelector('#contour').layout.xaxis.tickvals") is None
        ticks = page.evaluate(
            "document.querySelector('#slice .panel[data-param=\"k\"]').layout.xaxis.ticktext"
        )
        assert ticks == ["a", "b"]
        page.locator("#importance-go").click()
        expect(page.locator("#importance")).to_have_attribute("data-params", "n,x,k")
        assert page.locator("#enqueue").count() == 0  # read-only: no write controls
        assert page.locator("#trials button").count() == 0
        shot(page, tmp_path, "study_figures.png")

        rows = page.locator("#trials tbody tr")
        expect(rows).to_have_count(44)
        page.locator("#filter-COMPLETE").uncheck()
        page.locator("#filter-apply").click()
        expect(rows).to_have_count(4)
        failed = page.locator("#trials tbody tr.FAIL")
        failed.locator("summary").click()
        expect(failed.locator("pre.traceback")).to_have_text("Traceback: <script>alert(1)</script>")
        shot(page, tmp_path, "table_failed.png")
        page.locator("#filter-COMPLETE").check()
        page.locator("#filter-param").select_option("x")
        page.locator("#filter-lo").fill("0.01")
        page.locator("#filter-hi").fill("0.5")
        page.locator("#filter-apply").click()
        expect(rows).to_have_count(sum(0.01 <= t.params["x"] <= 0.5 for t in trials))
        page.locator("#filter-param").select_option("")
        page.locator('th[data-sort="value"]').click()
        best = min(hand_value(t.params) for t in trials if t.state is TrialState.COMPLETE)
        expect(rows.first.locator("td").nth(2)).to_have_text(f"{best:.6g}")
        shot(page, tmp_path, "table_sorted.png")
    assert dialogs == []


def test_writes_and_the_overlay_in_a_browser(hand_url, browser, tmp_path):
    from playwright.sync_api import expect

    from tunesmith.dashboard import create_app

    hostile = ts.create_study(name=PLOT_HOSTILE, storage=hand_url, space={"x": ts.Float(0, 1)})
    hostile.add_trials(
        [FrozenTrial(0, TrialState.COMPLETE, {"x": v / 10}, {}, values=(v,)) for v in (3.5, 4.0)]
    )
    dialogs: list[str] = []
    with serving(create_app(hand_url, allow_writes=True)) as base:
        page = _page(browser, dialogs)
        page.goto(base + "/study/1")
        rows = page.locator("#trials tbody tr")
        expect(rows).to_have_count(44)
        form = page.locator("#enqueue")
        form.locator('[data-param="x"]').fill("50")
        form.locator('[data-param="n"]').fill("2")
        form.locator("#enqueue-go").click()
        expect(page.locator("#enqueue-result")).to_contain_text("The 'x' parameter must be inside")
        form.locator('[data-param="x"]').fill("0.05")
        form.locator("#enqueue-go").click()
        expect(page.locator("#enqueue-result")).to_have_text("Queued as trial 44")
        expect(page.locator("#trials tbody tr.WAITING")).to_have_count(1, timeout=15000)
        row = page.locator('#trials tbody tr[data-number="42"]')
        row.get_by_role("button", name="note").click()
        row.locator("input.note-input").fill(HOSTILE)
        row.get_by_role("button", name="save").click()
        expect(row.locator("span.note")).to_have_text(HOSTILE)
        assert page.locator("main img").count() == 0
        assert ts.load_study("hand", hand_url).trials[42].user_attrs == {"note": HOSTILE}
        shot(page, tmp_path, "writes.png")

        page.goto(base + "/")
        page.locator('input.pick[value="1"]').check()
        page.locator('input.pick[value="4"]').check()
        page.locator("#compare").click()
        expect(page.locator("#histories .chart")).to_have_count(2)
        expect(page.locator("#edf")).to_have_attribute("data-curves", "2")
        expect(page.locator("#edf .legendtext").nth(1)).to_have_text(PLOT_HOSTILE)  # as typed
        expect(page.locator("#history-4 .gtitle")).to_contain_text(PLOT_HOSTILE)
        assert page.locator("main img, main a[href^=javascript], main svg a").count() == 0
        expect(page.locator("#history-4")).to_have_attribute("data-points", "2")
        hostile.add_trial(FrozenTrial(0, TrialState.COMPLETE, {"x": 0.5}, {}, values=(1.0,)))
        expect(page.locator("#history-4")).to_have_attribute("data-points", "3", timeout=15000)
        shot(page, tmp_path, "compare.png")
    assert dialogs == []
