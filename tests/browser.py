"""Start the dashboard on a port of this machine and drive it with headless Chromium (Debian's, via Playwright).

Used by the browser tests and by `python -m tests.browser OUTDIR` to take a screenshot of every page.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from pathlib import Path

from benchmarks.harness import streamlit_server
from dashboard_ui.navigation import page_names, url_path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags the workplace's own probe uses: no sandbox as root, and no background calls to hosts we cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = [url_path(name) for name in page_names()]  # the router's list; the default page is served at the root
NO_CHARTS = ("definitions", "explore", "data_import", "meeting", "acceptance", "region")  # meeting opens on its title slide


def chromium_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def running_dashboard(db_path: Path, env: dict | None = None):
    """The dashboard as a real Streamlit server on 127.0.0.1; yields its base URL."""
    with streamlit_server(ROOT / "dashboard.py", {"KPI_DB": str(db_path), **(env or {})}) as (url, _):
        yield url


@contextlib.contextmanager
def dashboard_page(db_path: Path, width: int = 1400, height: int = 900, env: dict | None = None, browser=None):
    """A Chromium page on a dashboard of its own; yields (base URL, page). `browser`: one already running (Playwright's
    sync API allows one instance per thread, so a test module sharing a browser passes it here)."""
    if browser is not None:
        with running_dashboard(db_path, env) as url:
            page = browser.new_page(viewport={"width": width, "height": height})
            try:
                yield url, page
            finally:
                page.close()
        return
    from playwright.sync_api import sync_playwright

    with running_dashboard(db_path, env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield url, browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def wait_until_rendered(page, timeout_ms: int = 60000) -> None:
    """Streamlit renders over a websocket: wait until the script has finished and the charts have drawn."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && document.querySelectorAll('[data-testid="stMainBlockContainer"] > div *').length > 20""",
        timeout=timeout_ms)
    page.wait_for_timeout(1500)  # plotly lays out after the script ends


def wait_until_drawn(page, timeout_ms: int = 60000) -> None:
    """Like wait_until_rendered, but waits for Plotly itself: every chart has drawn its SVG."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && document.querySelectorAll('[data-testid="stMainBlockContainer"] > div *').length > 20
               && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')
               && document.querySelectorAll('[data-testid="stPlotlyChart"]').length
                  <= document.querySelectorAll('.js-plotly-plot').length
               && Array.from(document.querySelectorAll('.js-plotly-plot')).every((gd) => gd._fullLayout
                                                                                 && gd.querySelector('.main-svg'))""",
        timeout=timeout_ms)
    page.wait_for_timeout(500)


def full_page_screenshot(page, path: Path, width: int) -> None:
    """Streamlit scrolls inside its main block, not the window: grow the window to the content, then shoot."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(900, height), 16000)})
    page.wait_for_timeout(1500)  # charts re-lay out to the new size
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": width, "height": 900})


def page_problems(page) -> list[str]:
    """Error boxes and exceptions shown on the page."""
    problems = [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
    problems += [e.inner_text() for e in page.query_selector_all('[data-testid="stAlertContentError"]')
                 if "超出计划" not in e.inner_text() and "over plan" not in e.inner_text()]
    return problems


SIZES = {"desktop": (1440, 900), "projector": (1920, 1080), "phone": (390, 844)}

# Visible tables a person must scroll sideways to read (Streamlit's grid scrolls inside .dvn-scroller; an HTML table
# or card wider than the window counts too): each as its first header or first line, and by how many px.
WIDE_TABLES = r"""() => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const out = [];
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((t) => {
    if (!shown(t)) return;
    t.querySelectorAll('.dvn-scroller').forEach((s) => {
      if (s.scrollWidth > s.clientWidth + 2) out.push({what: (t.innerText || 'table').split('\n')[0].slice(0, 40),
                                                         by: s.scrollWidth - s.clientWidth});
    });
  });
  document.querySelectorAll('.phone-cards').forEach((c) => {
    if (shown(c) && c.getBoundingClientRect().right > window.innerWidth + 2)
      out.push({what: (c.innerText || 'cards').split('\n')[0].slice(0, 40),
                by: c.getBoundingClientRect().right - window.innerWidth});
  });
  return out;
}"""


def page_text(page) -> str:
    """What a person reads: the page, the sidebar and every chart's labels (SVG text is not in innerText)."""
    return page.evaluate("""() => {
        const parts = [];
        for (const sel of ['[data-testid="stMain"]', '[data-testid="stSidebar"]']) {
            const el = document.querySelector(sel);
            if (!el || el.offsetParent === null) continue;
            // Material icons are ligatures ("science", "close"): drawn as pictures, not read as words.
            const icons = Array.from(el.querySelectorAll('span, i')).filter(
                (i) => i.children.length === 0 && /Material/.test(getComputedStyle(i).fontFamily));
            const saved = icons.map((i) => i.textContent);
            icons.forEach((i) => { i.textContent = ''; });
            parts.push(el.innerText);
            icons.forEach((i, n) => { i.textContent = saved[n]; });
        }
        document.querySelectorAll('.js-plotly-plot svg text').forEach((t) => parts.push(t.textContent));
        return parts.join('\\n');
    }""")


def survey_page(page, name: str, shot: Path | None, width: int, height: int) -> dict:
    """One rendered page: its error boxes, charts as drawn (chart_check.COLLECT), text and a screenshot.

    The window grows to the content's height first, so every chart is drawn at the width a person sees."""
    from .chart_check import COLLECT

    wait_until_drawn(page)
    full = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    if full > height:
        page.set_viewport_size({"width": width, "height": min(full, 16000)})
        page.wait_for_timeout(700)  # charts re-lay out to the new size
        wait_until_drawn(page)
    if shot:
        page.screenshot(path=str(shot))
    info = {"problems": page_problems(page), "charts": page.evaluate(COLLECT), "text": page_text(page),
            "wide_tables": page.evaluate(WIDE_TABLES),
            "links_in_charts": page.evaluate("document.querySelectorAll('.js-plotly-plot svg a').length"),
            "screenshot": shot}
    page.set_viewport_size({"width": width, "height": height})
    return info


def survey(url: str, browser, out_dir: Path, size: str, lang: str, pages: list[str] | None = None) -> dict[str, dict]:
    """Every page at one window size in one language."""
    width, height = SIZES[size]
    out_dir.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height})
    report = {}
    try:
        for name in PAGES if pages is None else pages:
            page.goto(f"{url}/{name}?lang={lang}")
            key = f"{name or 'overview'}_{lang}_{size}"
            report[key] = survey_page(page, name, out_dir / f"{key}.png", width, height)
    finally:
        page.close()
    return report


def meeting_survey(url: str, browser, out_dir: Path, size: str, lang: str) -> dict[str, dict]:
    """Every meeting slide, stepped with the keys a presentation clicker sends (→, PageDown, space)."""
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    report = {}
    try:
        page.goto(f"{url}/meeting?lang={lang}")
        wait_until_rendered(page)
        total = int(re.search(r"\d+ / (\d+)", page.inner_text('[data-testid="stMain"]')).group(1))
        for number in range(1, total + 1):
            page.wait_for_selector(f"text={number} / {total}", timeout=30000)
            key = f"meeting{number}_{lang}_{size}"
            report[key] = survey_page(page, "meeting", out_dir / f"{key}.png", width, height)
            page.mouse.click(width - 3, height - 3)  # focus on the page, not on a field, as after a click
            page.keyboard.press(["ArrowRight", "PageDown", " "][number % 3])
    finally:
        page.close()
    return report


def screenshots(db_path: Path, out_dir: Path, langs=("zh", "en"), width: int = 1400,
                pages: list[str] | None = None) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    report = {}
    with running_dashboard(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for lang in langs:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
            page = context.new_page()
            for name in PAGES if pages is None else pages:
                page.goto(f"{url}/{name}?lang={lang}")
                wait_until_rendered(page)
                shot = out_dir / f"{name or 'overview'}_{lang}_{width}.png"
                full_page_screenshot(page, shot, width)
                report[f"{name or 'overview'}_{lang}"] = {
                    "problems": page_problems(page),
                    "charts": len(page.query_selector_all(".js-plotly-plot")),
                    "banner": any(w in page.inner_text('[data-testid="stMain"]') for w in ("演示数据", "Demo data")),
                    "screenshot": shot,
                }
            context.close()
        browser.close()
    return report


if __name__ == "__main__":
    db = Path(os.environ.get("KPI_DB", ROOT / "data" / "kpi.duckdb"))
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "test-artifacts" / "screenshots")
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 1400
    for key, info in screenshots(db, out, width=width).items():
        print(key, info["charts"], "charts", info["problems"] or "ok", info["screenshot"])
