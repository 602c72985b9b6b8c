"""The project's source files, for the tests that check rules in the source itself (test_architecture, test_messages,
test_languages, test_spreadsheet, test_ui_rules, test_ui_static, test_speed): one list of where the source lives, and
each file read, parsed and walked once per test process instead of once per check (issue 26: ~4 CPU-s of the fast
part was the same ~110 files parsed and walked again by each check).

Each test keeps its own selection of files (`files("pages", "ui")`, `files("library", locales=False)` ...).

The trees and node lists given here are SHARED by every test of the process: read them, never change them. A test
that needs to edit a tree edits its own copy (`copy.deepcopy(tree(path))`). This module is the one place in tests/
that parses Python source (tests/test_source_tree.py checks it).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where the source lives, by the name the tests select it with: (folder, pattern). The library is read recursively
# (every subpackage); the pages and the shared UI pieces are one level each.
AREAS = {
    "entry": (ROOT, "dashboard.py"),  # the app's entry script, the router
    "pages": (ROOT / "pages", "*.py"),
    "ui": (ROOT / "dashboard_ui", "*.py"),
    "library": (ROOT / "metrics", "**/*.py"),
}
LOCALES = ROOT / "metrics" / "core" / "locales"  # the message catalogues: data, not code, for most checks


def files(*areas: str, locales: bool = True) -> list[Path]:
    """The source files of the areas named, in that order, each area sorted; `locales=False` leaves out the
    catalogues (metrics/core/locales/)."""
    found = []
    for area in areas:
        folder, pattern = AREAS[area]
        found += sorted(p for p in folder.glob(pattern) if "__pycache__" not in p.parts
                        and (locales or not p.is_relative_to(LOCALES)))
    return found


@functools.cache
def _all_files() -> frozenset[Path]:
    return frozenset(files(*AREAS))


@functools.cache
def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def tree(path: Path) -> ast.Module:
    """The file's tree, shared: read it, do not change it."""
    return ast.parse(text(path), filename=str(path))


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the file's tree in `ast.walk` order, shared (walking a tree again is most of a check's cost)."""
    return tuple(ast.walk(tree(path)))


def walk(source: str | Path) -> Sequence[ast.AST]:
    """The nodes of `source` in `ast.walk` order: a project source file's from the cache; any other file (a
    violation planted in tmp_path) or a source text (a check's own example) parsed afresh."""
    if isinstance(source, Path):
        if source in _all_files():
            return nodes(source)
        source = source.read_text(encoding="utf-8")
    return list(ast.walk(ast.parse(source)))
