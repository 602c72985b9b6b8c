"""The menu keeps the reader's language. A menu click used to come back from the browser with the language switch
empty (Streamlit 1.67 forgets a segmented control's state on a page change when it has no default): every page then
ran without a language and 资金使用 failed on its `name_None` column. Found by the bench's Chromium walk, which no
test made: the page surveys open each page by its address, never through the menu."""

from __future__ import annotations

import pytest

from .browser import chromium_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not chromium_available(), reason="Chromium is not installed")]

# The menu's first entry and each page's heading, in the reader's language (the catalogues' page names).
WALK = ("training", "budget", "talent")


def test_the_menu_keeps_the_language_on_every_page_it_opens(tmp_path):
    from playwright.sync_api import sync_playwright

    from dashboard_ui.navigation import url_path
    from metrics.core.i18n import t

    from .browser import CHROMIUM, CHROMIUM_ARGS, running_dashboard, wait_until_rendered

    def heading(page) -> str:
        return page.locator('[data-testid="stMain"] [data-testid="stHeading"]').first.inner_text()

    def walk(page, lang: str) -> list[tuple[str, str, int]]:
        seen = []
        for name in WALK:
            page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path(name)}"]').first.click()
            page.wait_for_function(f"() => location.pathname.endsWith('/{url_path(name)}')", timeout=30000)
            wait_until_rendered(page)
            menu = page.locator('[data-testid="stSidebarNav"] a').first.inner_text().strip().split("\n")[-1]  # after its icon's name
            switch = page.locator('[data-testid="stSidebar"]').inner_text()  # the language switch's own label too
            seen.append((menu if t("language", lang) in switch else f"{menu} (switch not in {lang})", heading(page),
                         page.locator('[data-testid="stException"]').count()))
        return seen

    def expected(lang: str) -> list[tuple[str, str, int]]:
        return [(t("page_overview", lang), t(f"page_{name}", lang), 0) for name in WALK]

    with running_dashboard(tmp_path / "menu.duckdb") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for start, lang, switch in (("/", "zh", False), ("/?lang=en", "en", False), ("/", "en", True)):
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(url + start)
                wait_until_rendered(page)
                if switch:  # a reader who chose English with the switch, then uses the menu
                    page.locator('[data-testid="stSidebar"] button', has_text=t("language_name", "en")).first.click()
                    page.wait_for_function("() => document.body.innerText.includes('Overview')", timeout=30000)
                    wait_until_rendered(page)
                assert walk(page, lang) == expected(lang), (start, switch)
                page.close()
        finally:
            browser.close()
