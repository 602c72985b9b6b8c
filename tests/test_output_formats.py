"""issue 27: one table of briefing formats (metrics/outputs/briefing_formats.py), read by the library's export, the
command line and the meeting page; a format not in the table is refused in words, never silently made a PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.__main__ import build_parser, main
from metrics.core.i18n import LANGUAGES
from metrics.outputs.briefing_formats import FORMATS, UnknownFormat, briefing_format, export

from .conftest import copy_demo

ROOT = Path(__file__).resolve().parent.parent


def test_an_unknown_format_is_refused_before_any_work():
    # No connection is given: the refusal must come before the briefing is built (before: "docx" became a PDF).
    with pytest.raises(UnknownFormat) as caught:
        export(None, "docx")
    for lang in LANGUAGES:
        text = caught.value.message(lang)
        assert "docx" in text and all(name in text for name in FORMATS), text
        assert text != caught.value.code  # a catalogue sentence, not the bare key


def test_every_format_of_the_table_is_found_by_its_name():
    assert [briefing_format(name).name for name in FORMATS] == list(FORMATS)
    assert all(fmt.suffix == "." + fmt.name and "/" in fmt.mime for fmt in FORMATS.values())


def _report_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["report"]


@pytest.fixture
def a_third_format(monkeypatch):
    """A format added to the table as a new writer would be: the readers must offer it with no edit of theirs."""
    from metrics.outputs.briefing_formats import BriefingFormat

    monkeypatch.setitem(FORMATS, "txt", BriefingFormat("txt", ".txt", "text/plain", lambda brief: b"text"))
    return FORMATS["txt"]


def test_the_command_line_offers_the_table_and_refuses_the_rest(tmp_path, capsys, a_third_format):
    fmt = next(a for a in _report_parser()._actions if a.dest == "format")
    assert list(fmt.choices) == list(FORMATS) and a_third_format.name in fmt.choices
    out = tmp_path / "brief.docx"
    with pytest.raises(SystemExit) as usage:
        main(["--db", str(tmp_path / "k.duckdb"), "report", "--format", "docx", "--out", str(out)])
    assert usage.value.code == 2 and not out.exists()
    assert "docx" in capsys.readouterr().err


def test_the_meeting_page_offers_one_download_per_format(tmp_path, monkeypatch, a_third_format, demo_template):
    from streamlit.testing.v1 import AppTest

    # The database a first visit makes (the demo loaded into it), copied rather than loaded again by the frame.
    monkeypatch.setenv("KPI_DB", str(copy_demo(demo_template, tmp_path / "m.duckdb")))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.session_state["briefing"] = {name: f"made as {name}".encode() for name in FORMATS}  # as briefing_jobs.make
    at.switch_page("pages/meeting.py").run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == [fmt.label for fmt in FORMATS.values()]
    assert buttons[-1].proto.label == "TXT"
