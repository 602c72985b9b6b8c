"""tests/source_tree.py: the tests that check rules in the source read each file through it, parsed once per process
(issue 26: each check parsing the ~110 files again was ~4 CPU-s of the fast part)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dashboard_ui.navigation import NAVIGATION, PAGES_DIR

from . import source_tree

TESTS = Path(__file__).resolve().parent
PARSES = re.compile(r"\bast\s*\.\s*(parse|walk)\b")
ALLOWED = {"source_tree.py", "test_source_tree.py"}  # the one place that parses, and this guard's own examples


def parsers_outside_source_tree(folder: Path = TESTS) -> list[str]:
    """file:line of each `ast.parse` / `ast.walk` in the test code outside ALLOWED (read as text: parsing the tests
    to find parsing would be the cost this guards against)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path.name in ALLOWED or "__pycache__" in path.parts:
            continue
        found += [f"{path.relative_to(folder)}:{n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                  if PARSES.search(line)]
    return found


def test_only_source_tree_parses_python_source():
    """A new check that parses the files itself pays the parse again in every process: use source_tree.walk(path)
    (a source text, a check's own example, goes through source_tree.walk(text) too)."""
    assert parsers_outside_source_tree() == []


def test_the_guard_finds_a_parse_put_back(tmp_path):
    (tmp_path / "test_x.py").write_text("import ast\n\ntree = ast.parse(path.read_text())\nast.walk(tree)\n", encoding="utf-8")
    (tmp_path / "source_tree.py").write_text("tree = ast.parse(text)\n", encoding="utf-8")  # the one place allowed
    assert parsers_outside_source_tree(tmp_path) == ["test_x.py:3", "test_x.py:4"]


def test_each_area_reads_its_files():
    library = source_tree.files("library")
    assert source_tree.LOCALES / "zh.py" in library  # recursive: a module two packages down
    assert source_tree.ROOT / "metrics" / "kpi" / "scorecard.py" in library
    assert sorted(set(library) - set(source_tree.files("library", locales=False))) == \
        sorted(source_tree.LOCALES.glob("*.py"))  # locales=False leaves out the catalogues and nothing else
    assert {p.name for p in source_tree.files("pages")} == {file for _, file, _, _ in NAVIGATION}
    assert source_tree.AREAS["pages"][0] == PAGES_DIR  # the router's folder
    assert source_tree.files("entry") == [source_tree.ROOT / "dashboard.py"]
    assert source_tree.files("pages", "ui")[0].parent.name == "pages"  # in the order the areas are named


def test_a_project_file_is_parsed_once_and_anything_else_afresh(tmp_path):
    path = source_tree.ROOT / "metrics" / "core" / "i18n.py"
    assert source_tree.walk(path) is source_tree.walk(path)
    assert source_tree.walk(path)[0] is source_tree.tree(path)
    planted = tmp_path / "planted.py"  # a violation a test plants: never cached, read as it is now
    planted.write_text("x = 1\n", encoding="utf-8")
    assert [n.id for n in source_tree.walk(planted) if isinstance(n, ast.Name)] == ["x"]
    planted.write_text("y = 2\n", encoding="utf-8")
    assert [n.id for n in source_tree.walk(planted) if isinstance(n, ast.Name)] == ["y"]
    assert [n.id for n in source_tree.walk("z = 3\n") if isinstance(n, ast.Name)] == ["z"]
