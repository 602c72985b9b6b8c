"""政务公开 (issue 28): the public site says what the scorecard and the budget say, to the digit, with no personal
data, the same bytes for the same data, in the language chosen, and only after a second person approved it.

The fast tests draw each chart as a small SVG naming it (`_named_svgs`): what is checked here is the pages, not
kaleido; the slow tests (tests/test_publish_browser.py) draw the real charts, print the PDF and open the site in
Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from metrics import actions
from metrics.core.config import default_config
from metrics.core.i18n import LANGUAGES
from metrics.core.registry import KPIS
from metrics.kpi import budget
from metrics.kpi.formatting import format_value
from metrics.kpi.scorecard import scorecard
from metrics.load import ingest
from metrics.outputs import publish, publish_record, publish_site
from metrics.platform import store
from metrics.platform.auth import PermissionDenied, User

from .conftest import copy_demo
from .language_check import chinese_in_english, english_in_chinese, ledger_values

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
EDITOR = User("clerk", "clerk", "editor", "local")
ADMIN = User("chief", "chief", "admin", "local")
VIEWER = User("citizen", "citizen", "viewer", "local")


def _named_svgs(figures: dict) -> dict[str, bytes]:
    return {name: f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" data-chart="{name}"></svg>'.encode()
            for name in figures}


def _build(con, as_of=None, lang="zh") -> tuple[publish.Publication, dict[str, bytes]]:
    pub = publish_site.content(con, as_of, lang)
    return pub, publish_site.build(pub, publish.person_names(con), svgs=_named_svgs, pdf=None)


class _Tables(HTMLParser):
    """Every <table> of a page as {caption: [[cell text, ...], ...]} (the header row first)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = self._row = self._cell = None
        self._rows: list = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._name, self._caption = self._caption, None
        elif tag in ("td", "th"):
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self._rows.append(self._row)
        elif tag == "table":
            self.tables[self._name] = self._rows

    def handle_data(self, data):
        if self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def tables(page: bytes) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page.decode())
    return parser.tables


def text_of(page: bytes) -> str:
    """What a reader reads: the page without its tags and the stylesheet."""
    body = re.sub(r"<style>.*?</style>", " ", page.decode(), flags=re.S)
    return re.sub(r"<[^>]+>", "\n", body)


@pytest.fixture(autouse=True)
def _no_kaleido(monkeypatch):
    """The actions draw through publish_site.render_svgs: here the named SVGs (kaleido is the slow tests')."""
    monkeypatch.setattr(publish_site, "render_svgs", _named_svgs)


@pytest.fixture
def demo(demo_template, tmp_path):
    con = store.connect(copy_demo(demo_template, tmp_path / "demo.duckdb"))
    yield con
    con.close()


# ---------------------------------------------------------------------------------- the figures, read back

def test_the_site_read_back_equals_the_scorecard_and_the_budget(demo):
    as_of = dt.date(2024, 6, 30)
    pub, files = _build(demo, as_of)
    found = tables(files["index.html"])
    kpi_rows = {row[0]: row for caption, rows in found.items() if "指标、目标与当前值" in caption for row in rows[1:]}
    results = scorecard(demo, as_of, with_forecast=False)
    assert len(kpi_rows) == len(results) == len(KPIS)  # every KPI of the registry, each once
    for r in results:
        name, _target, value, status, _deadline, clause = kpi_rows[r.name]
        assert (value, status, clause) == (format_value(r.id, r.value), r.status_label, r.clause), r.id
    lines = budget.budget_lines(demo, as_of)
    line_rows = {row[0]: row for row in found["各预算科目（万元）"][1:]}
    assert list(line_rows) == list(lines["line_id"])
    for row in lines.itertuples():
        _, _name, plan, paid, _rate = line_rows[row.line_id]
        assert paid == f"{row.spent_wan:,.2f}"
        assert plan == ("（方案未列）" if row.plan_blank else f"{row.plan_wan:,.2f}")
    # Payees: the two listed 承办企业 by name, every other payee in one row; together all that was paid.
    paid = budget.payments_by_payee(demo, as_of)
    payee_rows = {row[0]: row for row in found["按收款单位（万元）"][1:]}
    for name in ("新疆某电商运营公司", "新疆某品牌策划有限公司"):
        assert payee_rows[name][3] == f"{paid.loc[paid['payee'] == name, 'spent_wan'].sum():,.2f}"
    others = paid[~paid["payee"].isin(["新疆某电商运营公司", "新疆某品牌策划有限公司"])]["spent_wan"].sum()
    assert payee_rows["其他收款方"][3] == f"{others:,.2f}"
    assert sum(float(r[3].replace(",", "")) for r in payee_rows.values()) == pytest.approx(lines["spent_wan"].sum())
    assert "数据截至 2024年6月30日" in files["index.html"].decode()


def _expenditures(con, rows: str) -> None:
    header = "凭证号,支付日期,预算科目,金额（万元）,收款单位,拨付阶段,说明\n"
    result = ingest.ingest_files(con, [("资金支出.csv", (header + rows).encode())], "expenditures", user="test")
    assert result.committed, [p.as_text("en") for p in result.errors]


def test_payees_not_listed_are_summed_and_never_named(con):
    """A hand-made ledger: the listed 承办企业 paid 10 + 5.5 = 15.5; 王小明 (a person: 收款单位 is free text) 2.25 and
    布尔津县某合作社 1.25 are 其他收款方, 2.25 + 1.25 = 3.50; a listed company paid nothing still has its row."""
    _expenditures(con, "V1,2023-03-01,1.1,10,新疆某电商运营公司,预拨,\nV2,2023-03-02,1.2,5.5,新疆某电商运营公司,预拨,\n"
                       "V3,2023-03-03,3.1,2.25,王小明,预拨,\nV4,2023-03-04,3.1,1.25,布尔津县某合作社,预拨,\n")
    pub, files = _build(con, dt.date(2023, 3, 31))
    rows = tables(files["index.html"])["按收款单位（万元）"][1:]
    assert rows == [["新疆某电商运营公司", "2022年11月15日", "2", "15.50"],
                    ["新疆某品牌策划有限公司", "2022年11月15日", "0", "0.00"],
                    ["其他收款方", "—", "2", "3.50"]]
    everything = b"".join(files.values()).decode()
    assert "王小明" not in everything and "布尔津县某合作社" not in everything


# ---------------------------------------------------------------------------------------- personal data

def _demo_personal_values() -> dict[str, set[str]]:
    """The demo's people as its files hold them: names, ID numbers and phone numbers (never loaded as written)."""
    import pandas as pd

    found = {"name": set(), "id": set(), "phone": set()}
    lines = (DEMO / "培训签到_training_attendance.csv").read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("场次编号"))
    for row in csv.DictReader(lines[start:]):
        found["name"].add(row["姓名"])
        found["id"].add(re.sub(r"\D", "", row["身份证号"] or "")[:17])
        found["phone"].add(re.sub(r"\D", "", row["手机号"] or ""))
    talents = pd.read_excel(DEMO / "电商达人名录_talents.xlsx", header=None, engine="calamine").astype(str)
    header = next(i for i in range(len(talents)) if "姓名" in set(talents.iloc[i]))
    column = list(talents.iloc[header]).index("姓名")
    found["name"].update(talents.iloc[header + 1:, column])
    with open(DEMO / "电商服务站点_stations.csv", encoding="utf-8-sig") as f:
        found["name"].update(row["站长"] for row in csv.DictReader(f))
    return {kind: {v.strip() for v in values if len(v.strip()) >= 2 and v.strip() != "nan"}
            for kind, values in found.items()}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_file_holds_a_demo_persons_name_id_or_phone(demo, lang):
    people = _demo_personal_values()
    assert len(people["name"]) > 50 and len(people["id"]) > 50 and len(people["phone"]) > 50  # the scan has prey
    _, files = _build(demo, None, lang)
    for path, content in files.items():
        text = content.decode()
        digits = re.sub(r"\D", "", text)
        assert [n for n in people["name"] if n in text] == [], path
        assert [i for i in people["id"] if len(i) >= 17 and i in digits] == [], path
        assert [p for p in people["phone"] if len(p) == 11 and p in digits] == [], path
        assert not publish.HASHED_KEY.search(text), path


def test_a_phone_in_a_milestone_is_refused_naming_the_field(demo):
    demo.execute("UPDATE milestones SET task = task || '（联系人 13912345678）' WHERE milestone_id = 'M02'")
    with pytest.raises(publish.PublicationRefused) as refused:
        actions.prepare_publication(demo, EDITOR, with_pdf=False)
    assert "milestones.task" in refused.value.message("zh") and "手机号" in refused.value.message("zh")
    assert store.one(demo, "SELECT count(*) FROM publications")[0] == 0  # nothing recorded


def test_a_station_keepers_name_in_a_published_text_is_refused_naming_file_and_column(demo):
    keeper = store.one(demo, "SELECT manager FROM stations WHERE station_id = 'ZD001'")[0]
    demo.execute("UPDATE milestones SET task = ? WHERE milestone_id = 'M04'", [f"站点升级（{keeper}负责）"])
    with pytest.raises(publish.PublicationRefused) as refused:
        _build(demo)
    assert "index.html" in refused.value.message("en") and "stations.manager" in refused.value.message("en")


# ------------------------------------------------------------------------------------ determinism, language

def test_two_publications_of_the_same_data_are_identical_byte_for_byte(demo):
    _, first = _build(demo)
    _, second = _build(demo)
    assert first == second
    assert publish.zip_bytes(first, dt.date(2024, 12, 31)) == publish.zip_bytes(second, dt.date(2024, 12, 31))
    assert "2026" not in first["index.html"].decode()  # no build time: the demo's data end in 2024


def test_the_english_site_holds_no_chinese_outside_ledger_values_and_names(demo):
    pub, files = _build(demo, None, "en")
    config = default_config()
    names = [*ledger_values(demo), *(c.name for c in pub.settings.contractors), *(r.clause for r in pub.results),
             *(a.name("zh") for a in config.stage_acceptances), "演示数据"]
    for path in ("index.html", "print.html"):
        assert chinese_in_english(text_of(files[path]), names) == [], path
    assert '<html lang="en">' in files["index.html"].decode()


def test_the_chinese_site_holds_no_english_words_outside_ledger_values(demo):
    _, files = _build(demo)
    for path in ("index.html", "print.html"):
        assert english_in_chinese(text_of(files[path]), ledger_values(demo)) == [], path
    assert '<html lang="zh-CN">' in files["index.html"].decode()


def test_every_page_says_demo_data_when_the_data_are_the_demos(demo, con):
    _, files = _build(demo)
    for path in ("index.html", "print.html"):
        assert files[path].decode().count("演示数据") == 2, path  # at the top and at the foot
    _expenditures(con, "V1,2023-03-01,1.1,10,新疆某电商运营公司,预拨,\n")
    _, real = _build(con, dt.date(2023, 3, 31))
    assert "演示数据" not in real["index.html"].decode()


def test_nothing_links_to_another_host(demo):
    _, files = _build(demo)
    for path in ("index.html", "print.html", "style.css"):
        text = files[path].decode()
        assert re.findall(r"(?:src|href)=\"(?![#a-z]+[^:\"]*\")[^\"]*\"", text) == [], path  # relative links only
        assert "<script" not in text and "@import" not in text and "@font-face" not in text and "url(" not in text


# ------------------------------------------------------------------------------------ review and records

def test_an_editor_prepares_an_admin_approves_and_only_then_the_zip_is_given(demo):
    with pytest.raises(PermissionDenied):
        actions.prepare_publication(demo, VIEWER, with_pdf=False)
    number, files = actions.prepare_publication(demo, EDITOR, with_pdf=False)
    with pytest.raises(publish.PublicationRefused):
        actions.publication_zip(demo, EDITOR, number)  # not approved yet
    with pytest.raises(PermissionDenied):
        actions.approve_publication(demo, EDITOR, number)
    actions.approve_publication(demo, ADMIN, number)
    with pytest.raises(publish.PublicationRefused):
        actions.approve_publication(demo, User("deputy", "deputy", "admin", "local"), number)  # already approved
    archive = zipfile.ZipFile(io.BytesIO(actions.publication_zip(demo, EDITOR, number)))
    assert {name: archive.read(name) for name in archive.namelist()} == files
    record = publish_record.publications(demo).iloc[0]
    assert (record.prepared_by, record.approved_by, record.files_digest) == ("clerk", "chief",
                                                                            publish.files_digest(files))
    assert record.approved_at is not None and str(record.as_of)[:10] == "2024-12-31"


def test_no_one_approves_their_own_publication(demo):
    number, _ = actions.prepare_publication(demo, ADMIN, with_pdf=False)
    with pytest.raises(publish.PublicationRefused) as refused:
        actions.approve_publication(demo, ADMIN, number)
    assert refused.value.code == "publish_own_approval"


def test_the_update_record_says_what_changed_since_the_last_approved_publication(con):
    """First publication: 10 paid. Approved. Then a 2.5 payment is loaded: the next says 新增支付 2.5 万元 and names
    the new load; publishing that data again gives the same bytes."""
    _expenditures(con, "V1,2023-03-01,1.1,10,新疆某电商运营公司,预拨,\n")
    number, first = actions.prepare_publication(con, EDITOR, dt.date(2023, 6, 30), with_pdf=False)
    assert "本项目首次公开发布" in first["index.html"].decode()
    actions.approve_publication(con, ADMIN, number)
    _expenditures(con, "V2,2023-04-01,1.2,2.5,新疆某电商运营公司,预拨,\n")
    _, second = actions.prepare_publication(con, EDITOR, dt.date(2023, 6, 30), with_pdf=False)
    page = second["index.html"].decode()
    assert "与上一次公开（数据截至 2023年6月30日）相比" in page
    assert "新增支付 2.5 万元" in page and "新载入资金支出台账：新增 1 行" in page
    number_again, third = actions.prepare_publication(con, EDITOR, dt.date(2023, 6, 30), with_pdf=False)
    actions.approve_publication(con, ADMIN, number_again)
    _, fourth = actions.prepare_publication(con, EDITOR, dt.date(2023, 6, 30), with_pdf=False)
    assert second == third == fourth  # the same data: the same record of changes, whatever was approved since


def test_an_older_database_gets_the_publications_table(tmp_path, monkeypatch):
    """A file made before the table existed carries the fingerprint of its own schema: connect must create it."""
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("DROP TABLE publications")
    monkeypatch.setattr(store, "SYSTEM_TABLES", tuple(d for d in store.SYSTEM_TABLES if "publications" not in d))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_fingerprint'", [store._schema_fingerprint()])
    con.close()
    monkeypatch.undo()
    store._migrated.discard(str(path))
    con = store.connect(path)
    assert store.one(con, "SELECT count(*) FROM publications")[0] == 0
    con.close()


# ---------------------------------------------------------------------------------- the tables, the command

MISSING = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null", ""}
RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_table_cell_is_filled_dated_in_words_and_rates_are_percentages(demo, lang):
    """Issue 15's table rules on the site's tables: no empty or missing-value cell, no raw timestamp, every rate a
    percentage (or — where the plan gives no amount)."""
    _, files = _build(demo, None, lang)
    found = tables(files["index.html"])
    assert len(found) >= 10
    for caption, rows in found.items():
        head = rows[0]
        rates = [i for i, h in enumerate(head) if h in ("执行率", "Execution")]
        for row in rows[1:]:
            assert len(row) == len(head), caption
            assert [c for c in row if c.strip() in MISSING or RAW_TIMESTAMP.search(c)] == [], (caption, row)
            assert all(re.fullmatch(r"\d+\.\d%|—", row[i]) for i in rates), (caption, row)


def test_the_command_writes_the_folder_readable_by_the_web_server_and_records_it(demo_template, tmp_path,
                                                                                 monkeypatch):
    from metrics.__main__ import main

    db = copy_demo(demo_template, tmp_path / "demo.duckdb")
    assert main(["--db", str(db), "publish", "--as-of", "2024-06-30", "--out", str(tmp_path / "site"),
                 "--no-pdf", "--lang", "en"]) == 0
    index = tmp_path / "site" / "index.html"
    assert index.stat().st_mode & 0o777 == 0o644
    assert "Data as of 2024-06-30" in index.read_text()
    con = store.connect(db)
    record = publish_record.publications(con).iloc[0]
    con.close()
    assert (record.lang, str(record.as_of)[:10], record.approved_by) == ("en", "2024-06-30", None)


def test_the_command_refuses_personal_data_in_words_and_writes_nothing(demo_template, tmp_path, monkeypatch, capsys):
    from metrics.__main__ import main

    db = copy_demo(demo_template, tmp_path / "demo.duckdb")
    con = store.connect(db)
    con.execute("UPDATE milestones SET phase = '654321 19600202 4445' WHERE milestone_id = 'M01'")  # a valid ID number
    con.close()
    assert main(["--db", str(db), "publish", "--out", str(tmp_path / "site"), "--no-pdf"]) == 1
    assert "milestones.phase" in capsys.readouterr().err and not (tmp_path / "site").exists()
