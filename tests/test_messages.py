"""The message catalogues and every inline two-language string: each has both languages, the same placeholders in
both, and no Chinese in the English text (a missing or half-translated English string fails here, before a person
sees it in the English UI)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff60]")  # CJK ideographs and full-width punctuation
# Words that stay Chinese in English text on purpose: ledger values, the data contract's canonical headers and
# values (a clerk types them), the demo label's Chinese original shown beside its translation.
ALLOWED_IN_ENGLISH = re.compile(
    r"「[^」]*」|（[^）]*）|“[^”]*”|\([^)]*\)|"  # quoted or bracketed Chinese: a header or value the clerk types,
    # or the Chinese original given beside its translation
    r"\d+年(?:\d+月(?:\d+日)?)?|\d+月|"  # how a clerk may write a date
    r"是/否|Y/N|有/无|✓/✗|万元|万|元|人次|身份证号|学员编号|合计|小计|总计|累计|填表人|审核人|单位：元|单位：万元|"
    r"乡镇|县级|演示数据|中文|[\u4e00-\u9fff]+(?=\s*[=:：(（])")


def placeholders(text: str) -> set[str]:
    """The {names} a message fills in; `x_zh` / `x_en` count as `x` (a value given in each language)."""
    return {re.sub(r"_(zh|en)$", "", name) for _, name, _, _ in string.Formatter().parse(text) if name}


def chinese_left(english: str) -> list[str]:
    return CJK.findall(ALLOWED_IN_ENGLISH.sub("", english))


def catalogues() -> dict[str, dict[str, tuple[str, str]]]:
    """Each key with its (中文, English) texts, from the one catalogue per language (metrics/locales)."""
    from metrics.locales import CATALOGUES

    zh, en = CATALOGUES["zh"], CATALOGUES["en"]
    return {"metrics/locales": {key: (zh[key], en.get(key, "")) for key in zh}}


def test_every_language_has_exactly_the_source_languages_keys():
    """A key missing in English (or a stale key only English has) fails here: adding a language = one module with
    every key."""
    from metrics.locales import CATALOGUES, SOURCE_LANGUAGE

    source = set(CATALOGUES[SOURCE_LANGUAGE])
    for lang, catalogue in CATALOGUES.items():
        assert sorted(source - set(catalogue)) == [], f"{lang}: keys with no text"
        assert sorted(set(catalogue) - source) == [], f"{lang}: keys not in {SOURCE_LANGUAGE}"


def test_every_catalogue_entry_has_both_languages_and_the_same_placeholders():
    problems = []
    for name, catalogue in catalogues().items():
        for key, pair in catalogue.items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair)):
                problems.append(f"{name}[{key}]: not a (中文, English) pair")
                continue
            zh, en = pair
            if placeholders(zh) != placeholders(en):
                problems.append(f"{name}[{key}]: placeholders differ {placeholders(zh)} vs {placeholders(en)}")
            if chinese_left(en):
                problems.append(f"{name}[{key}]: Chinese in the English text: {en!r}")
    assert problems == []


def inline_pairs(path: Path) -> list[tuple[int, str, str]]:
    """Every L("中文", "English") call in a page (the inline two-language helper), with literal or f-string text."""
    def text(node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        return None

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "L" \
                and len(node.args) == 2:
            zh, en = text(node.args[0]), text(node.args[1])
            if zh is not None and en is not None:
                found.append((node.lineno, zh, en))
    return found


def test_inline_english_strings_are_english():
    problems = []
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard_ui").glob("*.py")]:
        for line, zh, en in inline_pairs(path):
            if not en.strip():
                problems.append(f"{path.name}:{line}: empty English for {zh!r}")
            elif chinese_left(en):
                problems.append(f"{path.name}:{line}: Chinese in the English text: {en!r}")
    assert problems == []


def test_the_check_catches_half_translated_text():
    assert chinese_left("spent 462.0 万元") == []  # a unit the contract writes in Chinese
    assert chinese_left("演示数据 Demo data") == []
    assert chinese_left("已达标 achieved") == ["已", "达", "标"]
    assert chinese_left("KPI name：value") == ["："]  # a full-width colon in English text
