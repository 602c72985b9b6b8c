"""The message catalogues: each language has every key, the same placeholders and no Chinese in its English text
(a missing or half-translated English string fails here, before a person sees it in the English UI); and the
dashboard's code holds no text of its own: no Chinese literal, no inline translation, no key missing from a
catalogue."""

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


# The dashboard's code: every string a person reads comes from the catalogue, so none of it is written here.
DASHBOARD_CODE = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "dashboard_ui").glob("*.py"))]
# Chinese that stays in the dashboard's code: ledger values it matches data against, never shown from here.
CHINESE_ALLOWED = {
    ("pages/service.py", "社区"): "the ledger's place type for a community (the communities ledger's value)",
    ("pages/service.py", "村"): "the ledger's place type for a village",
    ("pages/brands.py", "推介活动"): "the events ledger's type for a promotion event",
    ("pages/budget.py", "未注明"): "metrics.budget's stage value for a payment with no stage",
}
# Keys passed as a variable: the wrapper itself, and the router's list (its keys are checked below).
DYNAMIC_KEYS_ALLOWED = {("dashboard_ui/state.py", "key"), ("dashboard.py", "section"), ("dashboard.py", "title")}


def dashboard_trees():
    for path in DASHBOARD_CODE:
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def docstrings(tree) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def chinese_literals(name: str, tree) -> list[str]:
    """String literals (f-string parts included) with Chinese, other than docstrings and allowed ledger values."""
    skip = docstrings(tree)
    return [f"{name}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
            and id(node) not in skip and (name, node.value) not in CHINESE_ALLOWED]


def is_text(node) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


def means_english(test) -> bool:
    """`en`, `not en`, `lang == "en"`, `frame.lang != "en"`, `state.lang() == "en"`: a choice by language."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Name):
        return test.id == "en"
    return isinstance(test, ast.Compare) and any(isinstance(c, ast.Constant) and c.value in ("en", "zh")
                                                 for c in test.comparators)


IDENTIFIER = re.compile(r"[a-z]+(_[a-z]+)*")  # a column name or a language code, chosen by language: not text


def inline_translations(name: str, tree) -> list[str]:
    """L("中文", "English") calls and `"text" if en else "文本"` choices between two literals."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "L":
            found.append(f"{name}:{node.lineno}: L(...)")
        elif isinstance(node, ast.IfExp) and is_text(node.body) and is_text(node.orelse) and means_english(node.test) \
                and not all(isinstance(b, ast.Constant) and IDENTIFIER.fullmatch(b.value) for b in (node.body, node.orelse)):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def keys_used(name: str, tree) -> tuple[list[tuple[str, int, str]], list[str]]:
    """The catalogue keys the code passes to a t() (literals, or a choice between literals), and the calls whose
    key is a variable (which this check cannot read)."""
    keys, dynamic = [], []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "t"):
            continue
        key = node.args[0]
        choices = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
        if all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in choices):
            keys += [(name, node.lineno, c.value) for c in choices]
        elif (name, ast.unparse(key)) not in DYNAMIC_KEYS_ALLOWED:
            dynamic.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return keys, dynamic


def test_the_dashboards_code_holds_no_chinese_text():
    """Chinese in pages/, dashboard_ui/ or dashboard.py is text that bypasses the catalogue (and shows untranslated
    in the English UI); only ledger values the code matches data against are allowed, each with its reason."""
    assert [line for name, tree in dashboard_trees() for line in chinese_literals(name, tree)] == []


def test_the_dashboards_code_translates_only_through_the_catalogue():
    assert [line for name, tree in dashboard_trees() for line in inline_translations(name, tree)] == []


def test_every_key_the_dashboard_uses_is_in_every_catalogue():
    """A misspelt key would show as the key itself (i18n.t falls back to it): it fails here instead."""
    from dashboard_ui.navigation import NAVIGATION
    from metrics.locales import CATALOGUES

    used, dynamic = [], []
    for name, tree in dashboard_trees():
        keys, calls = keys_used(name, tree)
        used += keys
        dynamic += calls
    used += [("dashboard_ui/navigation.py", 0, key) for section, _, title, _ in NAVIGATION for key in (section, title)]
    assert len(used) > 400  # the collection works: the dashboard reads hundreds of keys
    assert dynamic == []
    for lang, catalogue in CATALOGUES.items():
        assert [f"{name}:{line}: {key}" for name, line, key in used if key not in catalogue] == [], lang


def test_the_dashboard_checks_catch_each_kind_of_defect():
    """Each check above, on a line with the defect it exists for."""
    code = ast.parse('''
st.info("还没有数据")
st.caption(f"共 {n} 行")
label = "Rows" if en else "行数"
other = "Rows" if frame.lang == "en" else "Rows"
column = "name_en" if en else "name_zh"
title = L("标题", "Title")
st.caption(state.t("no_data_yet"))
st.caption(state.t("no_dat_yet"))
st.caption(state.t(name))
''')
    assert sorted(line.split(": ", 1)[1] for line in chinese_literals("x.py", code)) == \
        sorted(["'还没有数据'", "'共 '", "' 行'", "'行数'", "'标题'"])
    assert sorted(line.split(":")[1] for line in inline_translations("x.py", code)) == ["4", "5", "7"]
    keys, dynamic = keys_used("x.py", code)
    assert [k for _, _, k in keys] == ["no_data_yet", "no_dat_yet"] and dynamic == ["x.py:10: state.t(name)"]


def test_the_check_catches_half_translated_text():
    assert chinese_left("spent 462.0 万元") == []  # a unit the contract writes in Chinese
    assert chinese_left("演示数据 Demo data") == []
    assert chinese_left("已达标 achieved") == ["已", "达", "标"]
    assert chinese_left("KPI name：value") == ["："]  # a full-width colon in English text
