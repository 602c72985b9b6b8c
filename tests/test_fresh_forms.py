"""The fresh corpus of issue 23 (tests/forms/fresh/): forms as county offices file them, made by LibreOffice
(.xlsx, .xls, .ods, CSV in GBK / UTF-8 with BOM / UTF-16) by someone who had not read the loader, with the answer
worked out by hand in tests/forms/fresh/truth.py.

Each file is classified: right (the hand-computed rows, exactly), a good refusal (refused, every error naming its
row, for a form a clerk would expect refused), accepted WRONG (stored, but not the hand-computed rows — the worst
defect), or wrongly refused (refused, though a clerk would expect it to load). Files that are not right or a good
refusal today are in OPEN, strict-xfail, with what goes wrong: a fix flips them and they must leave the list.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from metrics.load import ingest

from .forms.fresh.truth import BEFORE, EXPECT

FILES = Path(__file__).parent / "forms" / "fresh" / "files"
TODAY = dt.date(2024, 6, 30)

# file -> (class, what goes wrong today, against 6c13853). Remove an entry when its fix lands (strict xfail).
OPEN: dict[str, tuple[str, str]] = {
}


def corpus() -> list[Path]:
    return sorted(FILES.iterdir())


def form_of(path: Path) -> str:
    return path.name.split(".")[0]


def classify(con, path: Path) -> tuple[str, str]:
    """(right | good refusal | accepted wrong | wrongly refused | refused without naming the row, detail)."""
    form = form_of(path)
    for i, text in enumerate(BEFORE.get(form, [])):
        assert ingest.ingest_files(con, [(f"before{i}.csv", text.encode())], today=TODAY).committed
    result = ingest.ingest_files(con, [(path.name, path.read_bytes())], today=TODAY)
    kind, truth = EXPECT[form]
    errors = [e.as_text() for e in result.errors]
    if not result.committed:
        if kind == "load":
            return "wrongly refused", "; ".join(errors[:3])
        if all(e.row is not None for e in result.errors) and all("{" not in t for t in errors):
            return "good refusal", "; ".join(errors[:2])
        return "refused without naming the row", "; ".join(errors[:3])
    if kind == "refuse":
        return "accepted wrong", f"accepted although {truth}"
    for query, rows in truth.values():
        stored = [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in con.execute(query).fetchall()]
        if stored != rows:
            return "accepted wrong", f"{query}: stored {stored}, hand-computed {rows}"
    return "right", ""


def test_the_corpus_has_thirty_forms_each_with_its_truth_in_three_workbook_formats():
    forms = {form_of(p) for p in corpus()}
    assert len(forms) >= 30 and forms == set(EXPECT)
    for form in forms:
        assert {p.name.split(".", 1)[1] for p in FILES.glob(f"{form}.*") if not p.name.endswith(".csv")} == {
            "xlsx", "xls", "ods"}, form
    assert set(OPEN) <= {p.name for p in corpus()}


def _case(path: Path):
    if path.name in OPEN:
        kind, why = OPEN[path.name]
        return pytest.param(path, id=path.name, marks=pytest.mark.xfail(strict=True, reason=f"{kind}: {why}"))
    return pytest.param(path, id=path.name)


@pytest.mark.parametrize("path", [_case(p) for p in corpus()])
def test_fresh_form_is_right_or_refused_with_the_row_named(con, path):
    kind, detail = classify(con, path)
    assert kind in ("right", "good refusal"), f"{kind}: {detail}"
