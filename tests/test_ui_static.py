"""The frame's own CSS and script are files in dashboard_ui/static/ (an editor and a linter read them as CSS and
JavaScript), read once per process, and no shared UI module carries CSS or script as a Python string."""

from __future__ import annotations

import ast
from pathlib import Path

from dashboard_ui import ui

from . import source_tree

ROOT = Path(__file__).resolve().parent.parent
# The shared UI modules split out of ui.py (issue 27): the frame, tables, KPI cards.
SPLIT_MODULES = ("ui.py", "tables.py", "kpi_card.py")


def test_every_static_file_is_used_and_wrapped_in_its_tag():
    files = sorted(p.name for p in ui.STATIC.iterdir())
    assert files == ["frame.css", "keys.js", "uploader.css"]
    source = (ROOT / "dashboard_ui" / "ui.py").read_text(encoding="utf-8")
    assert all(f'"{name}"' in source for name in files)  # none left over, none named that does not exist
    script = ui.static("keys.js", "script")
    assert script.startswith("<script>\n(() => {") and script.endswith("})();\n</script>")
    assert "meeting_next" in script and "stDateInput" in script
    css = ui.static("frame.css", "style")
    assert css.startswith("<style>\n@media (hover: none)") and css.endswith("</style>")


def test_static_files_are_read_once(monkeypatch):
    ui.static.cache_clear()
    reads = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self.name) or real(self, *a, **k))
    first = ui.static("uploader.css", "style")
    assert ui.static("uploader.css", "style") is first
    assert reads == ["uploader.css"]
    assert "DROP_TEXT" in first and "BROWSE_TEXT" in first  # the placeholders localise_file_uploader fills


def test_no_css_or_script_as_python_strings_in_the_shared_ui():
    offenders = []
    for name in SPLIT_MODULES:
        for node in source_tree.walk(ROOT / "dashboard_ui" / name):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                if "<script" in text or "<style" in text or "@media" in text:
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
