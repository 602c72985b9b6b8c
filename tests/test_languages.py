"""issue 27: the languages are named in one place, the catalogues (`i18n.LANGUAGES`). No page, UI piece or library
module chooses by comparing a language with a literal (`lang == "en"`, `frame.lang != "zh"`) or keeps an `en`/`zh`
flag: a language's words come from its catalogue (`t(key, lang)`), the county's names from `core.words.Words`
(`cfg.project_name(lang)`), so a third language is a catalogue and a column, not edits in twenty files."""

from __future__ import annotations

import ast
from pathlib import Path

from metrics.core.i18n import LANGUAGES

from . import source_tree

ROOT = Path(__file__).resolve().parent.parent
# Where a language is still named, each with its reason; the list only shrinks.
STILL_NAMED = {
    "dashboard_ui/ui.py": 2,  # date ticks in Chinese form, the uploader's words (Streamlit's own are English already)
    "dashboard_ui/kpi_card.py": 1,  # a card's big figure carries its unit except in English (units are long there)
    "metrics/outputs/self_evaluation.py": 6,  # the 自评表's column widths and [self_evaluation]'s *_en fields
    "metrics/outputs/publish.py": 1,  # [publication].departments: each needs its `zh` name (the source language's)
    "metrics/core/datasets.py": 6,  # the data contract: each column's Chinese header and English label, as data
    "metrics/demo.py": 3,  # the demo region's county names written into their county.toml
}


def sources() -> list[Path]:
    return source_tree.files("entry", "pages", "ui", "library", locales=False)


def names_a_language(node: ast.AST) -> bool:
    """`x == "en"`, `"zh" != lang`, `en = …`, `zh = …`, an `en`/`zh` flag read or passed."""
    if isinstance(node, ast.Compare):
        return any(isinstance(c, ast.Constant) and c.value in LANGUAGES for c in [node.left, *node.comparators])
    if isinstance(node, ast.Name):
        return node.id in LANGUAGES
    if isinstance(node, ast.arg):
        return node.arg in LANGUAGES
    return False


def language_lines(source: str | Path) -> list[int]:
    return sorted({node.lineno for node in source_tree.walk(source) if names_a_language(node)})


def test_no_code_chooses_by_comparing_a_language_with_a_literal():
    found = {}
    for path in sources():
        lines = language_lines(path)
        if lines:
            found[str(path.relative_to(ROOT))] = len(lines)
    over = {name: n for name, n in found.items() if n > STILL_NAMED.get(name, 0)}
    assert over == {}, "a choice by language: use t(key, lang), Words.in_(lang) or words.in_row (docs/architecture.md)"
    assert set(found) <= set(STILL_NAMED)


def test_the_check_finds_a_language_choice_put_back():
    """The nine pages' `en = frame.lang == "en"` and the configuration's `cfg.project_en if en else …`."""
    assert language_lines('frame = state.current()\nen = frame.lang == "en"\n') == [2]
    assert language_lines('title = cfg.project_en if en else cfg.project_zh\n') == [1]
    assert language_lines('width = 26 if b.lang == "zh" else 30\n') == [1]
    assert language_lines('name = cfg.project_name(frame.lang)\nok = lang == SOURCE_LANGUAGE\n') == []


def test_every_word_looked_up_by_a_made_key_is_in_every_catalogue():
    """Keys made from a table (a payment stage's name, a channel form's labels, a skipped row's or personal datum's kind) escape the literal-key checks of
    tests/test_messages.py: a stage or field added without its words would show the bare key."""
    from metrics.core.locales import CATALOGUES
    from metrics.kpi.budget import STAGE_KEYS, stage_name
    from metrics.load.forms import KIND_NAMES
    from metrics.outputs.digest_channels import CHANNELS
    from metrics.platform.pii import KINDS

    wanted = [f"payment_stage_{key}" for key in STAGE_KEYS.values()]
    wanted += [field.label_key for channel in CHANNELS.values() for field in channel.fields]
    wanted += [f"form_row_kind_{name}" for name in KIND_NAMES.values()] + [f"pii_kind_{kind}" for kind in KINDS]
    assert [f"{lang}: {key}" for lang, catalogue in CATALOGUES.items() for key in wanted if key not in catalogue] == []
    assert [stage_name(stage, "zh") for stage in STAGE_KEYS] == list(STAGE_KEYS)  # the contract's own words
