"""The real dashboard in headless Chromium: every page, both languages, on a database the dashboard itself fills
with the demo on first start. Screenshots are kept in test-artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import os

import pytest

from .browser import ROOT, chromium_available, screenshots

pytestmark = pytest.mark.skipif(not chromium_available(),
                                reason="Debian chromium and playwright are needed (scripts/test.sh installs them)")

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    db = tmp_path_factory.mktemp("browser") / "first-start.duckdb"  # does not exist: the first start creates it
    return screenshots(db, ARTIFACTS)


def test_every_page_renders_in_chromium(report):
    assert len(report) == 20  # 10 pages x 2 languages
    for name, info in report.items():
        assert info["problems"] == [], name
        if not name.startswith("definitions"):
            assert info["charts"] >= 1, name
        assert info["screenshot"].stat().st_size > 20_000, name  # a rendered page, not a blank one


def test_the_demo_is_labelled_on_every_page(report):
    for name, info in report.items():
        assert info["banner"], name


def test_phone_width(tmp_path):
    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    result = screenshots(tmp_path / "phone.duckdb", ARTIFACTS, langs=("zh",), width=390, pages=["", "training"])
    for name, info in result.items():
        assert info["problems"] == [] and info["charts"] >= 1, name
