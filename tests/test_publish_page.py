"""政务公开 on the acceptance page (issue 28), as Streamlit runs it (AppTest): viewers do not see the section; an editor
prepares; the editor cannot approve; another administrator approves, and only then is the zip offered."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.outputs import publish_site
from metrics.platform.auth import User

from .conftest import copy_demo
from .test_publish import _named_svgs

ROOT = Path(__file__).resolve().parent.parent
EDITOR = User("clerk", "clerk", "editor", "local")
ADMIN = User("chief", "chief", "admin", "local")


@pytest.fixture
def db(demo_template, tmp_path, monkeypatch):
    path = copy_demo(demo_template, tmp_path / "demo.duckdb")
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "secrets.toml"))
    monkeypatch.setattr(publish_site, "render_svgs", _named_svgs)  # the drawing is the slow tests' (kaleido)
    monkeypatch.setattr(publish_site, "print_pdf", lambda page, as_of: b"%PDF-1.4 printed by the slow tests")
    return path


def acceptance_page(user: User | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["as_of"] = dt.date(2024, 6, 30)
    if user is not None:
        at.session_state["user"] = user
        at.session_state["user_seen"] = time.time()
    at.run()
    at.switch_page("pages/acceptance.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, key: str):
    return next((b for b in at.button if b.key == key), None)


def test_viewers_do_not_see_the_section(db):
    at = acceptance_page(None)
    assert "政务公开" not in [h.value for h in at.subheader]


def test_an_editor_prepares_another_admin_approves_then_the_zip_is_offered(db):
    at = acceptance_page(EDITOR)
    assert "政务公开" in [h.value for h in at.subheader]
    _button(at, "publish_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("第 1 号发布" in s.value for s in at.success)
    assert _button(at, "publish_ok_1") is None  # an editor cannot approve
    assert not at.get("download_button")
    at = acceptance_page(ADMIN)
    _button(at, "publish_ok_1").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("download_button")) == 1
