"""Text from outside reaches the page as plain text (issue 25, item 5): a markdown image and an HTML tag put into
every kind of source (the county's configuration, ledger values, the load log's file names and people, evidence
names, a digest channel's answer, a region snapshot's county name and file name) and every page visited in headless
Chromium, which fails if the page asks any host but the dashboard's own for anything.

Run it under `flock /tmp/kpi-heavy.lock` with the other browser tests (one Chromium at a time on the machine).
"""

from __future__ import annotations

import os
import shutil
import tomllib
from urllib.parse import urlparse

import pytest
import tomli_w

from .browser import PAGES, ROOT, chromium_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not chromium_available(),
                                 reason="Debian chromium and playwright are needed (scripts/test.sh installs them)")]

HOST = "198.51.100.7"  # TEST-NET-2: never a real server; any request to it is what this test catches


def payload(tag: str) -> str:
    """A markdown image and an HTML image, each naming where it came from, in text that should be shown as typed."""
    return f'{tag}![{tag}](http://{HOST}/{tag}.png)<img src="http://{HOST}/{tag}-tag.png">'


def file_payload(tag: str) -> str:
    """The same without "/" (a file name cannot hold one): browsers read `http:\\host\\p` as http://host/p."""
    return f'{tag}![{tag}](http:\\\\{HOST}\\{tag}.png)<img src=http:\\\\{HOST}\\{tag}-tag.png>'


# The pages that show text from outside (every page but definitions and explore's empty form): zh only, as the
# pages draw the same values in both languages; about 15 s a page on a busy two-core machine.
SHOWING_OUTSIDE_TEXT = [name for name in PAGES if name not in ("definitions", "explore")]
LEDGER_TEXT = [("expenditures", "voucher"), ("expenditures", "payee"), ("brands", "brand"), ("products", "product"),
               ("events", "name"), ("stations", "name"), ("talents", "name"), ("training_sessions", "topic"),
               ("publicity", "title"), ("logistics_subsidies", "enterprise"), ("milestones", "task"),
               ("enterprise_upgrades", "enterprise"), ("loads", "file_name"), ("loads", "loaded_by")]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, demo_template):
    import datetime as dt

    from metrics.demo import write_demo
    from metrics.platform import store

    from .browser import running_dashboard

    base = tmp_path_factory.mktemp("plain-text")
    db = shutil.copyfile(demo_template, base / "kpi.duckdb")
    con = store.connect(db)
    for table, column in LEDGER_TEXT:  # every row: whichever a page shows, it carries the payload
        con.execute(f'UPDATE "{table}" SET "{column}" = "{column}" || ?', [payload(f"{table}-{column}")])
    load_id = store.one(con, "SELECT max(load_id) FROM loads")[0]
    con.execute("INSERT INTO evidence_files VALUES ('e1', 'x', 1, 'image/png')")
    con.execute("INSERT INTO evidence VALUES (?, 'e1', ?, 'clerk', ?)",
                [load_id, file_payload("evidence") + ".png", dt.datetime(2024, 1, 2)])
    con.execute("INSERT INTO digests (digest_id, created_at, subject) VALUES (1, ?, ?)",
                [dt.datetime(2024, 1, 2), payload("digest-subject")])
    con.execute("INSERT INTO digest_sends VALUES (1, 'wecom', ?, false, ?)",
                [dt.datetime(2024, 1, 2), payload("digest-answer")])
    store.bump_data_version(con)
    con.close()
    config = tomllib.loads((ROOT / "data" / "county.toml").read_text(encoding="utf-8"))
    for key in ("name_zh", "name_en", "project_zh", "project_en"):
        config["county"][key] = payload(f"config-{key}")
    config["budget"]["groups"][0]["zh"] += payload("config-group")
    (base / "county.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    region = base / "region"
    write_demo(region)
    first = sorted(region.glob("*.duckdb"))[0]
    renamed = region / (file_payload("snapshot") + ".duckdb")
    first.rename(renamed)
    beside = tomllib.loads(first.with_suffix(".toml").read_text(encoding="utf-8"))
    beside["county"]["name_zh"] = beside["county"]["name_en"] = payload("snapshot-county")
    renamed.with_suffix(".toml").write_text(tomli_w.dumps(beside), encoding="utf-8")
    first.with_suffix(".toml").unlink()
    env = {"KPI_CONFIG": str(base / "county.toml"), "KPI_REGION_DIR": str(region),
           "KPI_HASH_KEY": os.environ.get("KPI_HASH_KEY", "test-hash-key-not-secret")}
    with running_dashboard(db, env) as url:
        yield url


def test_no_page_asks_another_host_for_anything_whatever_text_comes_from_outside(hostile_site):
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS, wait_until_rendered

    own = urlparse(hostile_site).hostname
    asked: list[tuple[str, str]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            visiting = {"page": ""}

            def guard(route):
                url = urlparse(route.request.url)
                if url.scheme in ("data", "blob") or url.hostname in (own, "localhost", "127.0.0.1"):
                    return route.continue_()
                asked.append((visiting["page"], route.request.url))
                return route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            shown = {}
            for name in SHOWING_OUTSIDE_TEXT:
                visiting["page"] = name or "overview"
                page.goto(f"{hostile_site}/{name}")
                wait_until_rendered(page)
                if name == "region":  # its first read scores every snapshot in children: wait for what it shows
                    page.wait_for_selector('[data-testid="stPlotlyChart"], [data-testid="stCode"]', timeout=180000)
                    wait_until_rendered(page)
                page.wait_for_timeout(500)
                shown[visiting["page"]] = page.evaluate("document.body.textContent")  # hidden tabs too
        finally:
            browser.close()
    assert sorted(set(asked)) == [], sorted(set(asked))
    # The payloads were on the pages (shown as typed), so the test looked where they are.
    everything = "\n".join(shown.values())
    # (Tables are drawn on a canvas, so ledger values and the digest's rows are not in the page's text.)
    for tag in ("config-project_zh", "evidence", "snapshot-county"):
        assert f"![{tag}](" in everything, tag
