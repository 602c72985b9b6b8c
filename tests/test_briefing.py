"""The meeting briefing (PPTX and PDF) and meeting mode, on a small ledger whose numbers are known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
import unicodedata
from pathlib import Path

import pytest

from metrics.core.i18n import LANGUAGES
from metrics.load import ingest
from metrics.outputs import briefing
from metrics.platform import store

from .browser import chromium_available
from .ledgers import csv_bytes

ROOT = Path(__file__).resolve().parent.parent
# Rendering charts and PDFs drives Chromium: seconds per call, so these tests are `slow`.
def needs_chromium(test):
    chromium = pytest.mark.skipif(not chromium_available(), reason="needs Debian chromium (scripts/test.sh)")
    return pytest.mark.slow(chromium(test))

SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n"
ATTENDANCE = "场次编号,学员编号\nS1,A\nS1,B\nS1,C\nS2,A\nS2,D\n"
# Line 3.3 (plan 60 万元) over plan through two payments, 40 + 30 = 70 (one payment over its line is refused).
SPENT = "凭证号,支付日期,预算科目,金额（万元）\nV1,2023-01-10,3.3,40\nV2,2023-02-10,3.3,30\n"


def build_brief(directory, with_charts: bool):
    import os

    os.environ.setdefault("KPI_HASH_KEY", "test-hash-key-not-secret")
    con = store.connect(directory / "b.duckdb")
    files = [("s.csv", csv_bytes(SESSIONS)), ("a.csv", csv_bytes(ATTENDANCE)), ("e.csv", csv_bytes(SPENT))]
    assert ingest.ingest_files(con, files).committed
    # As of 2023-06-30: 5 person-times (S1: A B C, S2: A D), 4 people; compared with 2023-03-31: 3 person-times.
    b = briefing.build(con, dt.date(2023, 6, 30), dt.date(2023, 3, 31), "zh", with_charts=with_charts)
    con.close()
    return b


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    """The briefing's content without chart images (fast)."""
    return build_brief(tmp_path_factory.mktemp("brief"), with_charts=False)


@pytest.fixture(scope="module")
def brief_with_charts(tmp_path_factory):
    """The same briefing with its chart images rendered by Chromium (slow; only the rendering tests use it)."""
    return build_brief(tmp_path_factory.mktemp("brief-charts"), with_charts=True)


def test_the_content_model(brief):
    by_id = {r.id: r for r in brief.results}
    assert by_id["training_person_times"].value == 5 and by_id["training_people"].value == 4
    assert brief.change(by_id["training_person_times"]) == "3 人次 → 5 人次"
    assert "training_person_times" in {r.id for r in brief.behind}
    over = brief.budget_lines.set_index("line_id").loc["3.3"]
    assert over["spent_wan"] == 70 and over["over_plan"]  # 70 > the plan's 60


def slide_titles(deck) -> list[str]:
    return [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]


def test_pptx_slides_titles_and_scorecard_values(brief):
    from pptx import Presentation

    deck = Presentation(io.BytesIO(briefing.to_pptx(brief)))
    slides = list(deck.slides)
    titles = slide_titles(deck)
    scorecard = [t for t in titles if t.startswith("考核指标一览")]
    # title 1 + scorecard (as many slides as its rows need at 14 pt) + areas 7 + budget 1 + milestones 1 + behind 1
    assert len(slides) == 1 + len(scorecard) + 7 + 3 and len(scorecard) >= 2
    assert scorecard == [f"考核指标一览（{i}/{len(scorecard)}）" for i in range(1, len(scorecard) + 1)]
    texts = [[s.text_frame.text for s in slide.shapes if s.has_text_frame] for slide in slides]
    assert "布尔津县2020年国家级电子商务进农村综合示范项目（后续资金）" in texts[0]
    assert titles[1 + len(scorecard)] == "培训与转化"
    table = next(s for s in slides[1].shapes if s.has_table).table
    rows = {table.cell(r, 0).text: [table.cell(r, c).text for c in range(len(table.columns))]
            for r in range(1, len(table.rows))}
    assert rows["电商培训人次"][1:4] == ["5 人次", "≥ 4,000 人次", "进度滞后"]
    assert rows["电商培训人次"][5] == "3 人次 → 5 人次"
    assert any("演示数据" in t for t in texts[1]) is False  # not the demo: no demo label


def tiny_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def with_pictures(brief):
    """The briefing with stand-in chart pictures of the sizes render_charts draws (no Chromium needed)."""
    import copy

    pictured = copy.deepcopy(brief)
    sizes = {id(section): (w, h) for section, _, w, h in briefing.chart_figures(brief)}
    for section, fresh in zip(brief.areas, pictured.areas):
        fresh.chart_png = tiny_png(*sizes[id(section)])
    w, h = briefing.chart_figures(brief)[-1][2:]
    pictured.budget_png = tiny_png(w, h)
    return pictured


def test_slides_lie_on_a_grid(brief):
    """No two shapes overlap, each lies on its slide, no text under 14 pt -- also with the demo label, and with a
    scorecard three times as long whose gaps run to several lines (it goes on over more slides)."""
    import dataclasses

    from .slide_check import geometry_problems

    demo = dataclasses.replace(with_pictures(brief), demo=True)
    assert geometry_problems(briefing.to_pptx(demo)) == []
    long_gaps = [dataclasses.replace(r, gap=r.gap + "，" + "较上季度明显放缓，需要乡镇站点逐一落实" * 3)
                 for r in brief.results * 3]
    longer = dataclasses.replace(demo, results=long_gaps)
    assert geometry_problems(briefing.to_pptx(longer)) == []


def test_chart_labels_are_14_pt_on_the_slide(brief):
    """A chart picture's smallest font, scaled as the slide shows the picture, is at least 14 pt (7 pt before: a
    1200 px figure shrunk into an 8 in box)."""
    from pptx import Presentation

    deck = Presentation(io.BytesIO(briefing.to_pptx(with_pictures(brief))))
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    figures = briefing.chart_figures(brief)
    assert len(pictures) == len(figures) == 8  # seven areas and the budget
    for picture, (_, fig, width_px, _) in zip(pictures, figures):
        shown_pt = fig.layout.font.size * (picture.width / 12700) / width_px
        assert shown_pt >= 14, (fig.layout.font.size, picture.width / 12700, width_px)


def test_the_pdf_scorecard_repeats_its_header_and_keeps_rows_whole(brief):
    """The PDF's scorecard: its header is a <thead> printed again on each page it runs onto, rows are never cut."""
    html = briefing.to_html(brief)
    assert '<table class="scorecard"><thead><tr><th>指标</th>' in html
    assert "thead { display: table-header-group; }" in html and "tr { break-inside: avoid;" in html


@pytest.mark.slow
@pytest.mark.skipif(not __import__("tests.slide_check", fromlist=["x"]).impress_available(),
                    reason="needs LibreOffice Impress (libreoffice-impress-nogui) and pdftotext: scripts/system-packages.sh")
@needs_chromium
def test_the_deck_as_impress_shows_it(demo_db, tmp_path):
    """The demo's briefing in both languages, opened in LibreOffice Impress and printed: no word outside its slide,
    no two words over each other, no shapes overlapping. The pages are kept as PNG in test-artifacts/slides."""
    import subprocess

    from .slide_check import impress_problems

    con = store.connect(demo_db, read_only=True)
    try:
        briefs = [briefing.build(con, dt.date(2024, 10, 31), dt.date(2024, 6, 30), lang) for lang in LANGUAGES]
    finally:
        con.close()
    found = []
    for brief in briefs:
        out = ROOT / "test-artifacts" / "slides" / brief.lang
        found += [f"{brief.lang} {p}" for p in impress_problems(briefing.to_pptx(brief), out)]
        subprocess.run(["pdftoppm", "-r", "72", "-png", str(out / "briefing.pdf"), str(out / "slide")], check=True)
    assert found == [], "\n".join(found[:40])


@needs_chromium
def test_pdf_has_the_kpis_in_chinese_with_their_values(brief_with_charts):
    brief = brief_with_charts
    import unicodedata

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(briefing.to_pdf(brief)))
    # Chromium's glyph-to-text map gives some characters as their Kangxi-radical twins (⼀ for 一); NFKC folds them.
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages)).replace(" ", "")
    for expected in ("考核指标一览", "电商培训人次", "5人次", "≥4,000人次", "进度滞后", "资金执行", "走出去"):
        assert expected in text, expected
    fonts = [str(font) for page in reader.pages for font in (page.get("/Resources", {}).get("/Font") or {}).values()]
    assert fonts  # the CJK glyphs are embedded as fonts in the file, not referenced


@needs_chromium
def test_chart_images_are_not_blank(brief_with_charts):
    brief = brief_with_charts
    from PIL import Image

    for section in brief.areas:
        image = Image.open(io.BytesIO(section.chart_png)).convert("RGB")
        colours = image.getcolors(maxcolors=1_000_000)
        assert image.size[0] >= 1200 and len(colours) > 50, section.area  # text, bars and lines, not a flat fill
        # the status colour of a KPI with a visible bar is present in the picture
        drawn = [r for r in section.results if (r.progress or 0) > 0.05]
        if drawn:
            rgb = tuple(int(briefing.charts.STATUS_COLORS[drawn[0].status][i:i + 2], 16) for i in (1, 3, 5))
            assert any(c == rgb for _, c in colours), section.area


@needs_chromium
def test_report_command(tmp_path, capsys):
    from metrics.__main__ import main

    db = str(tmp_path / "k.duckdb")
    con = store.connect(db)
    assert ingest.ingest_files(con, [("s.csv", csv_bytes(SESSIONS)), ("a.csv", csv_bytes(ATTENDANCE))]).committed
    con.close()
    out = tmp_path / "brief.pptx"
    assert main(["--db", db, "report", "--as-of", "2023-06-30", "--format", "pptx", "--out", str(out)]) == 0
    assert out.read_bytes()[:2] == b"PK"
    out = tmp_path / "brief.pdf"
    assert main(["--db", db, "report", "--as-of", "2023-06-30", "--format", "pdf", "--out", str(out), "--lang", "en"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"


def test_meeting_mode_renders_every_slide(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "m.duckdb"
    monkeypatch.setenv("KPI_DB", str(db))
    con = store.connect(db)
    assert ingest.ingest_files(con, [("s.csv", csv_bytes(SESSIONS)), ("a.csv", csv_bytes(ATTENDANCE))]).committed
    con.close()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/meeting.py").run()
    seen = []
    for _ in range(10):
        assert not at.exception, [e.value for e in at.exception]
        seen.append((at.header[0].value if at.header else "title", len(at.get("plotly_chart"))))
        at.button(key="meeting_next").click().run()
    # The scorecard over two slides of 11 rows: each fits a 1080p projector in large type.
    assert [h for h, _ in seen] == ["title", "考核指标一览 (1/2)", "考核指标一览 (2/2)", "培训与转化", "网络零售",
                                    "人才与主播", "品牌与推介", "服务体系", "宣传推广", "资金使用"]
    # Each area slide has its chart twice: the projector's and the phone's (the page's CSS shows the one that fits).
    assert all(charts == 2 for h, charts in seen[3:])
    assert at.caption[0].value.startswith("1 / 10")  # wrapped around to the title


def test_a_23rd_kpi_gets_its_scorecard_row(brief):
    """The scorecard slides follow the registry's length: one more result is one more row, on some slide."""
    import dataclasses

    from pptx import Presentation

    longer = dataclasses.replace(brief, results=[*brief.results, brief.results[0]])
    deck = Presentation(io.BytesIO(briefing.to_pptx(longer)))
    titles = slide_titles(deck)
    tables = [next(s for s in slide.shapes if s.has_table).table for slide, title in zip(deck.slides, titles)
              if title.startswith("考核指标一览")]
    assert sum(len(t.rows) - 1 for t in tables) == 23  # every KPI row once, headers apart
    assert all(t.cell(0, 0).text == "指标" for t in tables)  # the header on every slide


def test_the_pptx_has_no_float_noise_nor_hash_fragment(brief):
    """issue 24 item 5: the same scan as the acceptance pack's (tests/output_scan.py) over every slide's texts."""
    from . import output_scan

    files = {"briefing.pptx": briefing.to_pptx(brief)}
    assert output_scan.values("briefing.pptx", files["briefing.pptx"])  # the scan reads the slides' texts
    assert output_scan.float_noise(files) == [] and output_scan.hash_fragments(files) == []


@needs_chromium
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils: scripts/system-packages.sh)")
def test_the_pdf_text_has_no_float_noise_nor_hash_fragment(brief_with_charts):
    """Issue 24 item 5: the briefing PDF's text (pdftotext, as a reader copies it) goes through the same scan as the
    other outputs. The scan must see a number in the PDF: a gap planted with binary-float noise is found."""
    from . import output_scan

    files = {"briefing.pdf.txt": output_scan.pdf_text(briefing.to_pdf(brief_with_charts))}
    # The text of the slides, not an empty page (NFKC: Chromium maps some characters to Kangxi radicals, ⼀ for 一).
    assert "电商培训人次" in unicodedata.normalize("NFKC", files["briefing.pdf.txt"].decode())
    assert output_scan.float_noise(files) == [] and output_scan.hash_fragments(files) == []
    first = brief_with_charts.results[0]
    planted = dataclasses.replace(brief_with_charts, results=[dataclasses.replace(first, gap="还差 452.0000000000001 万元"),
                                                              *brief_with_charts.results[1:]])
    noisy = {"briefing.pdf.txt": output_scan.pdf_text(briefing.to_pdf(planted))}
    assert [line for line in output_scan.float_noise(noisy) if "452.0000000000001" in line], output_scan.float_noise(noisy)
