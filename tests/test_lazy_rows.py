"""The rows behind a KPI are fetched and sent only when a reader opens their expander (issue 26: 1,000 rows made
readable and sent into a closed expander were a sixth of every viewer's overview run). Opened, they are all there."""

from __future__ import annotations

import pytest

from .browser import chromium_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not chromium_available(), reason="Chromium is not installed")]


def test_the_rows_behind_a_kpi_come_when_their_expander_opens(tmp_path):
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS, running_dashboard, wait_until_rendered

    with running_dashboard(tmp_path / "lazy.duckdb") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            wait_until_rendered(page)
            expander = page.locator('[data-testid="stExpander"]', has_text="计算所用的台账记录").first
            # The demo's default KPI (电商培训人次) rests on 4,482 attendance rows: the label counts them all.
            assert "4482" in expander.inner_text().replace(",", "")
            assert expander.locator('[data-testid="stDataFrame"]').count() == 0  # closed: nothing was sent
            expander.locator("summary").click()
            page.wait_for_selector('[data-testid="stExpander"] [data-testid="stDataFrame"]', timeout=30000)
            assert "此处显示前 1000 条（共 4482 条）" in expander.inner_text().replace(",", "")
        finally:
            browser.close()
