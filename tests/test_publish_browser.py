"""政务公开 (issue 28) with the real drawings: the charts by kaleido, the PDF by Chromium, the site opened from
file:// in Chromium at a phone's and a desktop's width. Screenshots are kept in test-artifacts/screenshots/ for a
person to look at (publish-zh-390.png …)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from metrics import actions
from metrics.platform import store
from metrics.platform.auth import User

from .browser import ROOT, chromium_available
from .conftest import copy_demo

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not chromium_available(),
                                 reason="Debian chromium and playwright are needed (scripts/test.sh installs them)")]

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
EDITOR = User("clerk", "clerk", "editor", "local")
WIDTHS = (390, 1440)
NARROW_PX = 96  # a text of more than 12 characters in a box narrower than this is read a letter per line


@pytest.fixture(scope="module")
def sites(demo_template, tmp_path_factory):
    """The demo published in Chinese twice (with the PDF) and in English once, each written to its own folder."""
    base = tmp_path_factory.mktemp("publish")
    con = store.connect(copy_demo(demo_template, base / "demo.duckdb"))
    out = {}
    try:
        for name, lang, pdf in (("zh", "zh", True), ("zh-again", "zh", True), ("en", "en", False)):
            _, files = actions.prepare_publication(con, EDITOR, None, lang, with_pdf=pdf)
            folder = base / name
            for path, content in files.items():
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_bytes(content)
            out[name] = (folder, files)
    finally:
        con.close()
    return out


def test_the_same_data_give_the_same_bytes_charts_and_pdf_included(sites):
    first, second = sites["zh"][1], sites["zh-again"][1]
    assert sorted(first) == sorted(second) and "print.pdf" in first and "charts/budget.svg" in first
    assert [path for path in first if first[path] != second[path]] == []
    assert b"D:20241231000000" in first["print.pdf"]  # the data date, not the print time


def test_the_pdf_holds_the_page_in_chinese_and_no_demo_person(sites):
    import re
    import subprocess

    from .test_publish import _demo_personal_values

    pdf = sites["zh"][0] / "print.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "演示数据" in text and "资金使用" in text and "其他收款方" in text
    people, digits = _demo_personal_values(), re.sub(r"\D", "", text)
    assert [n for n in people["name"] if n in text] == []
    assert [p for p in people["phone"] | people["id"] if len(p) >= 11 and p in digits] == []


def test_the_real_charts_hold_no_demo_person(sites):
    from .test_publish import _demo_personal_values

    people = _demo_personal_values()
    for lang in ("zh", "en"):
        for path, content in sites[lang][1].items():
            if path.endswith(".svg"):
                assert [n for n in people["name"] if n in content.decode()] == [], path


def open_from_file(browser, index: Path, width: int, shot: Path) -> dict:
    """index.html opened from file:// at `width` px, every request to another host recorded and refused."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    asked, errors = [], []

    def route(request_route) -> None:
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            asked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(index.as_uri())
    page.wait_for_load_state("load")
    measured = page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        images: Array.from(document.images).map((i) => [i.getAttribute('src'), i.naturalWidth]),
        narrow: Array.from(document.querySelectorAll('dt, dd, td, th, p, li')).filter((e) =>
            e.offsetParent !== null && e.getBoundingClientRect().width < NARROW_PX
            && e.textContent.trim().length > 12).map((e) => e.textContent.trim().slice(0, 40)).slice(0, 5)})"""
        .replace("NARROW_PX", str(NARROW_PX)))
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return {"asked": asked, "errors": errors, **measured}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_site_opens_from_file_with_nothing_fetched_no_error_and_no_sideways_scroll(sites, lang):
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                seen = open_from_file(browser, sites[lang][0] / "index.html", width,
                                      ARTIFACTS / f"publish-{lang}-{width}.png")
                assert seen["asked"] == [], f"{width}px asked other hosts: {seen['asked']}"
                assert seen["errors"] == [], f"{width}px console errors: {seen['errors']}"
                assert seen["scroll"] <= seen["inner"], f"{width}px scrolls sideways: {seen}"
                assert seen["images"] and all(w > 0 for _, w in seen["images"]), seen["images"]
                assert seen["narrow"] == [], f"{width}px squeezes text into a narrow column: {seen['narrow']}"
        finally:
            browser.close()


def test_the_sites_charts_are_whole_and_truthful(sites, demo_template, tmp_path):
    """The chart check of issue 15 on the published SVGs: the same figure objects, measured in Chromium."""
    from playwright.sync_api import sync_playwright

    from metrics.outputs import publish_html, publish_site

    from .browser import CHROMIUM, CHROMIUM_ARGS
    from .chart_check import STATIC_COLLECT, problems, static_axes, svg_page

    con = store.connect(copy_demo(demo_template, tmp_path / "demo.duckdb"))
    try:
        figures = {lang: publish_html.figures(publish_site.content(con, dt.date(2024, 12, 31), lang))
                   for lang in ("zh", "en")}
    finally:
        con.close()
    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        try:
            for lang, figs in figures.items():
                files = sites[lang][1]
                names = list(figs)
                page.set_content(svg_page([files[f"charts/{name}.svg"].decode() for name in names]))
                drawn = page.evaluate(STATIC_COLLECT)
                for chart, name in zip(drawn, names):
                    chart["axes"] = static_axes(figs[name][0])
                found += problems(drawn, f"public site {lang}")
        finally:
            browser.close()
    assert found == [], "\n".join(found[:40])
