"""The user manual's pictures are the pages as they are: the browser test below makes them (Chinese, on a laptop,
a phone and the projector) into docs/images/manual/, and every picture a manual names must exist (issue 27)."""

from __future__ import annotations

import re

import pytest

from .browser import ROOT, chromium_available

MANUAL = ROOT / "docs" / "用户手册.md"
IMAGES = ROOT / "docs" / "images" / "manual"
# The pictures of the manual: (page's path in the router, window size), each named `<page>_zh_<size>.png`.
SHOTS = [("", "desktop"), ("", "phone"), ("training", "desktop"), ("budget", "desktop"), ("budget", "phone"),
         ("data_import", "desktop"), ("acceptance", "desktop"), ("meeting", "projector")]


def shot_name(page: str, size: str) -> str:
    return f"{page or 'overview'}_zh_{size}.png"


def test_every_picture_a_manual_names_exists():
    """A manual that points at a missing picture shows a broken image: every image link of README and docs/ resolves."""
    missing = []
    for manual in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", manual.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")) and not (manual.parent / target).is_file():
                missing.append(f"{manual.name}: {target}")
    assert missing == []


def test_the_user_manual_shows_each_picture_the_browser_test_makes():
    named = set(re.findall(r"images/manual/([\w.]+\.png)", MANUAL.read_text(encoding="utf-8")))
    assert named == {shot_name(page, size) for page, size in SHOTS}


@pytest.mark.slow
@pytest.mark.skipif(not chromium_available(), reason="Chromium is not installed")
def test_the_manuals_pictures_are_todays_pages(tmp_path):
    """Each page of the manual in Chromium on the demo data, without an error box, saved where the manual shows it
    (a page that changed changes its picture; git shows the difference)."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS, SIZES, meeting_survey, running_dashboard, survey

    IMAGES.mkdir(parents=True, exist_ok=True)
    made = {}
    with running_dashboard(tmp_path / "manual.duckdb") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The acceptance page's first run after a start computes the pack's preview under a spinner: a reader
            # who opens it sees the finished page, so it is visited once before its picture is taken.
            survey(url, browser, tmp_path / "warm-up", "desktop", "zh", pages=["acceptance"])
            for size in ("desktop", "phone"):
                pages = [page for page, s in SHOTS if s == size]
                made.update(survey(url, browser, tmp_path, size, "zh", pages=pages))
            slides = meeting_survey(url, browser, tmp_path, "projector", "zh")
            made["meeting_zh_projector"] = slides["meeting2_zh_projector"]  # the first slide after the title
        finally:
            browser.close()
    for page, size in SHOTS:
        key = shot_name(page, size)[:-4]
        info = made[key]
        assert info["problems"] == [], key
        picture = Image.open(info["screenshot"]).convert("RGB")
        height = SIZES[size][1] * 2  # the first two screens: what a reader sees on opening the page, and a scroll
        picture = picture.crop((0, 0, picture.width, min(picture.height, height)))
        if picture.width > 1280:  # small enough for git and a phone's browser, large enough to read
            picture = picture.resize((1280, round(picture.height * 1280 / picture.width)), Image.LANCZOS)
        picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(IMAGES / shot_name(page, size),
                                                                           optimize=True)
        assert (IMAGES / shot_name(page, size)).stat().st_size > 10_000, key  # a page, not a blank window
