"""The acceptance pack as it leaves the office: no personal data or noise in any file, who may build it (the page, the
command line), the command line's files and refusals, and (slow) LibreOffice opening the report and the sheet.

The fixture (tests/acceptance_fixture.py) is tiny and its answers are computed by hand in the comments."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from metrics import actions
from metrics.__main__ import main
from metrics.core.config import DEFAULT_CONFIG
from metrics.load import ingest
from metrics.outputs import acceptance, acceptance_pack, evidence
from metrics.platform import store
from metrics.platform.auth import PermissionDenied, User

from .acceptance_fixture import (
    AS_OF,
    ATTENDANCE,
    EDITOR,
    EVENTS,
    EXPENDITURES,
    PDF,
    RAW_ID,
    RAW_PHONE,
    SESSIONS,
    VIEWER,
    D,
)
from .ledgers import csv_bytes


@pytest.fixture
def config(acceptance_built):
    return acceptance_built.config


@pytest.fixture
def pack(acceptance_built):
    """(data, files) of the pack built once per session (tests/conftest.py): read only."""
    return acceptance_built.pack


@pytest.fixture
def con(request, tmp_path, empty_template):
    """Beside `pack`, a private copy of the database the pack was built from (a test's writes stay in its copy);
    otherwise an empty database, as everywhere."""
    source = request.getfixturevalue("acceptance_built").path if "pack" in request.fixturenames else empty_template
    shutil.copyfile(source, tmp_path / "test.duckdb")
    connection = store.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()


def _all_text(files: dict[str, bytes]) -> str:
    """Every byte of every file, the zip members (and the .docx/.xlsx inside them) opened."""
    out = []

    def walk(content: bytes):
        out.append(content.decode("utf-8", "ignore"))
        if content[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                for member in z.namelist():
                    walk(z.read(member))
    for content in files.values():
        walk(content)
    return "\n".join(out)


def test_no_raw_id_number_phone_or_trainee_name_in_any_file(pack):
    _, files = pack
    text = _all_text(files)
    assert "李四" not in text and "张三" not in text
    assert RAW_ID not in text and RAW_PHONE not in text
    assert "张*" in text and "李*" in text  # the trainees are there, masked: the scan looked at the right rows


def test_viewer_cannot_build_the_files(pack, con, config):
    data, _ = pack
    with pytest.raises(PermissionDenied):
        actions.acceptance_files(VIEWER, data)
    assert len(actions.acceptance_files(EDITOR, data)) == 3
    # The page's preview leaves the evidence bytes in the database; it cannot be packed by mistake.
    preview = acceptance.collect(con, AS_OF, "zh", config, contents=False)
    assert preview.blobs is None and preview.evidence["promotion_events"].files == data.evidence["promotion_events"].files
    with pytest.raises(ValueError):
        evidence.evidence_zip(preview)


def test_cli_writes_the_three_files(tmp_path, config, monkeypatch):
    monkeypatch.setenv("KPI_CONFIG", str(config.path))
    from metrics.core.config import default_config

    default_config.cache_clear()
    try:
        db = tmp_path / "cli.duckdb"
        from metrics.platform import store

        con = store.connect(db)
        assert ingest.ingest_files(con, [("e.csv", csv_bytes(EXPENDITURES))]).committed
        con.close()
        out = tmp_path / "out"
        assert main(["--db", str(db), "acceptance", "--as-of", "2024-10-31", "--out", str(out)]) == 0
        assert sorted(p.name for p in out.iterdir()) == ["佐证材料_2024-10-31.zip", "绩效自评表_2024-10-31.xlsx",
                                                         "验收报告_2024-10-31.docx"]
        assert main(["--db", str(db), "acceptance", "--as-of", "2024-10-31", "--out", str(out), "--lang", "en"]) == 0
        assert len(list(out.iterdir())) == 6
        # Without --as-of: the latest KPI deadline the data reaches. Latest payment 2024-05-01 -> 2023-12-31 (the
        # yearly articles' deadline; the others, 2024-10-31 and 2024-12-31, are not reached).
        default = tmp_path / "default"
        assert main(["--db", str(db), "acceptance", "--out", str(default)]) == 0
        assert "验收报告_2023-12-31.docx" in [p.name for p in default.iterdir()]
    finally:
        default_config.cache_clear()


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
def test_libreoffice_opens_the_report_and_the_sheet(pack, tmp_path):
    """LibreOffice converts both files to PDF, and the PDF text has the KPI names and values."""
    if not _soffice() or not shutil.which("pdftotext"):
        reason = "LibreOffice (libreoffice-writer-nogui, libreoffice-calc-nogui) or poppler-utils not installed"
        print("SKIPPED:", reason)
        pytest.skip(reason)
    data, files = pack
    for name, content in files.items():
        if name.endswith((".docx", ".xlsx")):
            (tmp_path / name).write_bytes(content)
    # No lock taken here: on a shared machine the whole slow run goes under `flock /tmp/kpi-heavy.lock`, and a
    # second flock on the same file from inside that run waited for itself forever.
    started = time.perf_counter()
    subprocess.run([_soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path),
                    *[str(tmp_path / n) for n in files if n.endswith((".docx", ".xlsx"))]],
                   check=True, capture_output=True, timeout=180)
    print(f"LibreOffice conversion took {time.perf_counter() - started:.1f} s")
    for stem in ("验收报告_2024-10-31", "绩效自评表_2024-10-31"):
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.exists(), stem
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        compact = re.sub(r"\s+", "", text)
        for r in data.results:
            # The self-evaluation form scores the budget KPI on its own 年度资金总额 (预算执行率) row.
            name = "年度资金总额" if stem.startswith("绩效") and r.id == "budget_execution_rate" else r.name
            assert re.sub(r"\s+", "", name) in compact, (stem, name)
        for value in ("3人次", "4个", "20.0%"):
            assert value in compact, (stem, value)
        if stem.startswith("绩效"):
            assert "16.77" in compact and "2.25" in compact and "（2023年度）" in compact
        else:
            # The contents page: every heading with the page number LibreOffice laid out (a PAGEREF to its bookmark).
            assert "75.0%" in compact
            for heading in ("一、项目基本情况", "四、资金使用情况", "六、结论与下一步工作"):
                assert re.search(re.escape(heading) + r"[.·…\s]*\d+", text), heading


def _page(user: User | None):
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "dashboard.py"), default_timeout=90)
    at.session_state["as_of"] = AS_OF
    if user is not None:
        at.session_state["user"] = user
        at.session_state["user_seen"] = time.time()
    at.run()
    at.switch_page("pages/acceptance.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_viewer_previews_and_editor_downloads(tmp_path, monkeypatch):
    from metrics.platform import store

    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "secrets.toml"))
    con = store.connect(path)
    assert ingest.ingest_files(con, [("e.csv", csv_bytes(EXPENDITURES)), ("v.csv", csv_bytes(EVENTS))]).committed
    con.close()
    viewer = _page(None)
    generate = next(b for b in viewer.button if b.label == "生成验收材料")
    assert generate.disabled
    results = viewer.dataframe[0].value
    assert len(results) == 22 and "佐证材料编号" in results.columns
    assert any("V3" in e.value for e in viewer.error)  # the 阶段拨付 paid before its acceptance
    assert not viewer.get("download_button")
    # Its own date, not the sidebar's: the latest deadline the data reaches (latest payment 2024-05-01, events
    # 2023-11-08 -> the yearly articles' 2023-12-31), and the page says which dates and why.
    pack_date = next(d for d in viewer.date_input if d.label == "材料日期")
    assert pack_date.value == D(2023, 12, 31)
    assert any("本材料日期为2023年12月31日（数据已覆盖的最近一个指标截止日期）" in i.value for i in viewer.info)
    assert any("各指标的评价日期" in c.value for c in viewer.caption)
    editor = _page(EDITOR)
    next(b for b in editor.button if b.label == "生成验收材料").click().run()
    assert not editor.exception, [e.value for e in editor.exception]
    assert len(editor.get("download_button")) == 3


def test_cli_refuses_a_pack_over_the_evidence_limit_and_a_config_without_evaluation(pack, con, tmp_path,
                                                                                    monkeypatch, capsys):
    monkeypatch.setattr(evidence, "MAX_EVIDENCE_BYTES", len(PDF) - 1)  # the one PDF is one byte too many
    with pytest.raises(acceptance.PackTooLarge) as exc:
        acceptance.collect(con, AS_OF)
    assert "超过单个材料包上限" in exc.value.message("zh") and "over the" in exc.value.message("en")
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    path = tmp_path / "no-evaluation.toml"
    path.write_text(text.split("[evaluation.indicators]")[0], encoding="utf-8")
    monkeypatch.setenv("KPI_CONFIG", str(path))
    from metrics.core.config import default_config

    default_config.cache_clear()
    try:
        code = main(["--db", str(tmp_path / "x.duckdb"), "acceptance", "--as-of", "2024-10-31",
                     "--out", str(tmp_path / "out")])
    finally:
        default_config.cache_clear()
    assert code == 1 and "evaluation.indicators: missing" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written


def test_every_file_clean_no_float_noise_hash_or_full_name(con, config):
    """issue 24 item 5: two payments whose float sum is noisy (0.1 + 0.7 = 0.7999999999999999 in any order), a
    talent's full name and a trainee known only by an ID number (B: a derived id, a hash fragment): every cell and
    text of the three files, the zip's members read in turn, is free of all three."""
    from . import output_scan

    files = [("sessions.csv", SESSIONS), ("attendance.csv", ATTENDANCE),
             ("money.csv", "凭证号,支付日期,预算科目,金额（万元）,收款单位,拨付阶段\n"
                           "V6,2023-06-01,4.1,0.1,丙公司,预拨\nV7,2023-06-02,4.1,0.7,丙公司,预拨\n"),
             ("talents.csv", "达人编号,姓名,乡镇,类型,孵化日期,具备直播带货能力\n"
                             "DR1,阿依古丽,禾木哈纳斯蒙古族乡,主播,2023-04-20,是\n")]
    result = ingest.ingest_files(con, [(n, csv_bytes(x)) for n, x in files])
    assert result.committed, [e.as_text() for e in result.errors]
    files = acceptance_pack.build(acceptance.collect(con, AS_OF, "zh", config))
    assert output_scan.float_noise(files) == []
    assert output_scan.hash_fragments(files) == []
    assert output_scan.containing(files, ["阿依古丽", "张三", "李四"]) == []
    # What stands instead: the masked name, 「编号已脱敏」 for B, 0.8 万元 paid (rounded where summed).
    assert output_scan.containing(files, ["阿***"]) and output_scan.containing(files, ["编号已脱敏"])
    assert output_scan.containing(files, ["0.80"])
    # The evidence zip's amounts carry their units: the ledger extract of 资金执行率 heads its column 金额（万元）.
    assert any("Z22-00" in hit for hit in output_scan.containing(files, ["金额（万元）"]))


def test_the_scan_finds_what_it_looks_for():
    """The checks above must be able to fail: noise in a float cell or a text, a hash fragment, a name."""

    from . import output_scan

    book = openpyxl.Workbook()
    book.active["A1"] = 452.0000000000001  # a number cell, as xlsxwriter wrote the 自评表's 全年执行数
    book.active["A2"] = "452.0000000000001 万元"
    book.active["A3"] = "He00acddd37b4e498"
    buffer = io.BytesIO()
    book.save(buffer)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inner/x.xlsx", buffer.getvalue())
    files = {"a.zip": archive.getvalue()}
    assert len(output_scan.float_noise(files)) == 2
    assert len(output_scan.hash_fragments(files)) == 1
    assert output_scan.float_noise({"b.xlsx": buffer.getvalue()})  # the same outside a zip


def test_an_editor_rewrites_the_self_evaluation_on_the_page_and_the_pack_keeps_it(tmp_path, monkeypatch):
    """Issue 24: the 绩效自评表 tab driven as an editor drives it. Signed in, the editor rewrites 实际完成情况 (the text
    area) and one row's 偏差原因分析及改进措施 (a cell of the table: the edit state the browser sends for it), saves;
    the page says who changed what and when, the store holds it, and the .xlsx generated afterwards carries both."""
    from metrics.platform import store

    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "secrets.toml"))
    con = store.connect(path)
    assert ingest.ingest_files(con, [("e.csv", csv_bytes(EXPENDITURES)), ("v.csv", csv_bytes(EVENTS))]).committed
    con.close()
    goal_words, row_words = "县里组织培训两期，推介会一场。", "培训推迟到次年春季，已补办两期。"
    at = _page(EDITOR)
    table = next(d for d in at.dataframe if d.key == "selfeval_rows_project")  # the last sheet: 项目整体
    row = list(table.value["三级指标"]).index("电商培训人次")
    next(a for a in at.text_area if a.key == "selfeval_goal_project").input(goal_words)
    at.session_state["selfeval_rows_project"] = {"edited_rows": {row: {"偏差原因分析及改进措施": row_words}},
                                                 "added_rows": [], "deleted_rows": []}
    next(b for b in at.button if b.label == "保存填写内容").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(path)
    stored = con.execute("SELECT row_key, text, edited_by, edited_at FROM self_evaluation_edits ORDER BY row_key").fetchall()
    con.close()
    assert [(k, text, who) for k, text, who, _ in stored] == [("goal", goal_words, "clerk"),
                                                              ("training_person_times", row_words, "clerk")]
    when = str(stored[0][3])[:16]
    shown = [c.value for c in at.caption if c.value.startswith("已改写：")]
    assert shown and f"goal（clerk，{when}）" in shown[0] and "training_person_times（clerk，" in shown[0], shown
    assert next(a for a in at.text_area if a.key == "selfeval_goal_project").value == goal_words
    next(b for b in at.button if b.label == "生成验收材料").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = next(at.session_state[k] for k in at.session_state.keys() if k.startswith("acceptance_files|"))
    book = openpyxl.load_workbook(io.BytesIO(next(v for n, v in files.items() if n.endswith(".xlsx"))))
    cells = [c.value for line in book["项目整体"].iter_rows() for c in line]
    assert goal_words in cells and row_words in cells
