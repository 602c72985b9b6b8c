"""The real dashboard in headless Chromium: every page, both languages, on a database the dashboard itself fills
with the demo on first start. Screenshots are kept in test-artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import os

import pytest

from .browser import NO_CHARTS, PAGES, ROOT, chromium_available, screenshots

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not chromium_available(),
                                 reason="Debian chromium and playwright are needed (scripts/test.sh installs them)")]

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    db = tmp_path_factory.mktemp("browser") / "first-start.duckdb"  # does not exist: the first start creates it
    return screenshots(db, ARTIFACTS)


def test_every_page_renders_in_chromium(report):
    assert len(report) == 2 * len(PAGES)  # every page of the router, in 2 languages
    for name, info in report.items():
        assert info["problems"] == [], name
        if not name.startswith(NO_CHARTS):
            assert info["charts"] >= 1, name
        assert info["screenshot"].stat().st_size > 20_000, name  # a rendered page, not a blank one


def test_meeting_mode_in_the_browser(tmp_path):
    """Slides step forward on the projector view, the sidebar hidden, and each area slide draws its chart."""
    from .browser import dashboard_page, page_problems, wait_until_rendered

    with dashboard_page(tmp_path / "meeting.duckdb", 1920, 1080) as (url, page):
        page.goto(f"{url}/meeting")
        wait_until_rendered(page)
        assert not page.is_visible('[data-testid="stSidebar"]')
        for shown in (2, 3):  # title -> scorecard -> 培训与转化
            page.get_by_role("button", name="下一页 ▶").click()
            page.wait_for_selector(f"text={shown} / 9")
            wait_until_rendered(page)
        page.wait_for_selector(".js-plotly-plot", timeout=30000)
        assert "培训与转化" in page.inner_text('[data-testid="stMain"]')
        assert len(page.query_selector_all(".js-plotly-plot")) == 1 and page_problems(page) == []
        page.screenshot(path=str(ARTIFACTS / "meeting_training_zh.png"))


def test_the_demo_is_labelled_on_every_page(report):
    for name, info in report.items():
        assert info["banner"], name


def test_phone_width(tmp_path):
    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    result = screenshots(tmp_path / "phone.duckdb", ARTIFACTS, langs=("zh",), width=390, pages=["", "training"])
    for name, info in result.items():
        assert info["problems"] == [] and info["charts"] >= 1, name


def test_a_clerk_uploads_an_xlsx_through_the_page(tmp_path):
    """Sign in with a local account, upload a real .xlsx on 数据导入, preview, commit, and see it in the history."""

    from metrics import store
    from metrics.auth import add_local_account

    from .browser import dashboard_page, wait_until_rendered
    from .ledgers import xlsx_bytes

    secrets = tmp_path / "secrets.toml"
    add_local_account("clerk", "correct horse", "editor", "李会计", secrets)
    ledger = tmp_path / "直播设备台账.xlsx"
    ledger.write_bytes(xlsx_bytes([["布尔津县固定资产台账"], [], ["资产编号", "资产名称", "类型", "数量", "验收日期"],
                                   ["ZC900", "补充直播设备", "直播设备", 2, "2024-05-06"]]))
    db = tmp_path / "browser-import.duckdb"
    with dashboard_page(db, 1400, 1000, {"KPI_SECRETS": str(secrets)}) as (url, page):
        page.goto(url)
        wait_until_rendered(page)
        page.get_by_text("登录", exact=True).first.click()
        page.get_by_label("账号").fill("clerk")
        page.get_by_label("密码").fill("correct horse")
        page.get_by_role("button", name="登录").click()
        wait_until_rendered(page)
        page.get_by_text("数据导入").first.click()
        wait_until_rendered(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(ledger))
        page.wait_for_selector('text=直播设备台账.xlsx')
        page.get_by_role("button", name="检查并预览").click()
        page.wait_for_selector("text=确认导入", timeout=60000)
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_selector("text=已导入 直播设备台账.xlsx", timeout=60000)
        page.screenshot(path=str(ARTIFACTS / "import_committed_zh.png"), full_page=True)
    con = store.connect(db)
    assert store.one(con, "SELECT quantity, accepted_on::VARCHAR FROM assets WHERE asset_id = 'ZC900'") == (2, "2024-05-06")
    assert store.one(con, "SELECT loaded_by FROM loads WHERE file_name = '直播设备台账.xlsx'") == ("clerk",)
    con.close()


def test_a_bookmarked_page_works_on_a_fresh_server(tmp_path):
    """The first visit to a new server is a page's own URL with a view in it (a bookmark, a link in a chat)."""
    from .browser import dashboard_page, page_problems, wait_until_rendered

    with dashboard_page(tmp_path / "fresh.duckdb") as (url, page):
        page.goto(f"{url}/explore?ds=training_attendance&m=count&g=session_township")
        wait_until_rendered(page)
        page.wait_for_selector("text=培训乡镇", timeout=30000)  # the grouping read from the URL, as a chosen chip
        assert page_problems(page) == []
        assert "/explore" in page.url and "ds=training_attendance" in page.url
        assert "数据探索" in page.inner_text('[data-testid="stMain"]')
