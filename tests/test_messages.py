"""The message catalogues: each language has every key, the same placeholders and no Chinese in its English text
(a missing or half-translated English string fails here, before a person sees it in the English UI); and the
dashboard's code holds no text of its own: no Chinese literal, no inline translation, no key missing from a
catalogue."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from . import source_tree

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
    return {re.sub(r"_(zh|en)$", "", field_name(name)) for _, name, _, _ in string.Formatter().parse(text) if name}


def field_name(name: str) -> str:
    """The value a {placeholder} reads: `date` for {date.year} or {date[0]}."""
    return re.split(r"[.\[]", name)[0]


def chinese_left(english: str) -> list[str]:
    return CJK.findall(ALLOWED_IN_ENGLISH.sub("", english))


def catalogues() -> dict[str, dict[str, tuple[str, str]]]:
    """Each key with its (中文, English) texts, from the one catalogue per language (metrics/locales)."""
    from metrics.core.locales import CATALOGUES

    zh, en = CATALOGUES["zh"], CATALOGUES["en"]
    return {"metrics/locales": {key: (zh[key], en.get(key, "")) for key in zh}}


def test_every_language_has_exactly_the_source_languages_keys():
    """A key missing in English (or a stale key only English has) fails here: adding a language = one module with
    every key."""
    from metrics.core.locales import CATALOGUES, SOURCE_LANGUAGE

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
DASHBOARD_CODE = source_tree.files("entry", "pages", "ui")
# Chinese that stays in the dashboard's code: ledger values it matches data against, never shown from here.
CHINESE_ALLOWED = {
    ("pages/service.py", "社区"): "the ledger's place type for a community (the communities ledger's value)",
    ("pages/service.py", "村"): "the ledger's place type for a village",
    ("pages/brands.py", "推介活动"): "the events ledger's type for a promotion event",
    ("pages/budget.py", "未注明"): "metrics.kpi.budget's stage value for a payment with no stage",
}
# Keys passed as a variable: the wrapper itself, and the router's list (its keys are checked below).
DYNAMIC_KEYS_ALLOWED = {("dashboard_ui/state.py", "key"), ("dashboard_ui/ui.py", "key"), ("dashboard.py", "section"), ("dashboard.py", "title")}


def dashboard_sources():
    """(name, file) of the dashboard's code; the checks below take a file (read from source_tree's cache) or a
    source text."""
    for path in DASHBOARD_CODE:
        yield path.relative_to(ROOT).as_posix(), path


def docstrings(nodes) -> set[int]:
    return {id(node.body[0].value) for node in nodes
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def chinese_literals(name: str, source: str | Path) -> list[str]:
    """String literals (f-string parts included) with Chinese, other than docstrings and allowed ledger values."""
    nodes = source_tree.walk(source)
    skip = docstrings(nodes)
    return [f"{name}:{node.lineno}: {node.value!r}" for node in nodes
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


def inline_translations(name: str, source: str | Path) -> list[str]:
    """L("中文", "English") calls and `"text" if en else "文本"` choices between two literals."""
    found = []
    for node in source_tree.walk(source):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "L":
            found.append(f"{name}:{node.lineno}: L(...)")
        elif isinstance(node, ast.IfExp) and is_text(node.body) and is_text(node.orelse) and means_english(node.test) \
                and not all(isinstance(b, ast.Constant) and IDENTIFIER.fullmatch(b.value) for b in (node.body, node.orelse)):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def keys_used(name: str, source: str | Path) -> tuple[list[tuple[str, int, str]], list[str]]:
    """The catalogue keys the code passes to a t() (literals, or a choice between literals), and the calls whose
    key is a variable (which this check cannot read)."""
    keys, dynamic = [], []
    for node in source_tree.walk(source):
        if not (isinstance(node, ast.Call) and node.args
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("t", "say")):  # say: ui.say
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
    assert [line for name, path in dashboard_sources() for line in chinese_literals(name, path)] == []


def test_the_dashboards_code_translates_only_through_the_catalogue():
    assert [line for name, path in dashboard_sources() for line in inline_translations(name, path)] == []


def test_every_key_the_dashboard_uses_is_in_every_catalogue():
    """A misspelt key would show as the key itself (i18n.t falls back to it): it fails here instead."""
    from dashboard_ui.navigation import NAVIGATION
    from metrics.core.locales import CATALOGUES

    used, dynamic = [], []
    for name, path in dashboard_sources():
        keys, calls = keys_used(name, path)
        used += keys
        dynamic += calls
    used += [("dashboard_ui/navigation.py", 0, key) for section, _, title, _ in NAVIGATION for key in (section, title)]
    assert len(used) > 400  # the collection works: the dashboard reads hundreds of keys
    assert dynamic == []
    for lang, catalogue in CATALOGUES.items():
        assert [f"{name}:{line}: {key}" for name, line, key in used if key not in catalogue] == [], lang


def test_the_dashboard_checks_catch_each_kind_of_defect():
    """Each check above, on a line with the defect it exists for."""
    code = '''
st.info("还没有数据")
st.caption(f"共 {n} 行")
label = "Rows" if en else "行数"
other = "Rows" if frame.lang == "en" else "Rows"
column = "name_en" if en else "name_zh"
title = L("标题", "Title")
st.caption(state.t("no_data_yet"))
st.caption(state.t("no_dat_yet"))
st.caption(state.t(name))
'''
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


# ---------------------------------------------------------------------------------------------------------------
# Every string a person reads under metrics/ comes from the catalogues: no Chinese literal outside metrics/core/locales/
# but the data contract's own words, no `"中文" if zh else "English"` choice, and every key used exists with the
# values its text needs. (The library once translated five ways; these fail on a sixth.)

METRICS = ROOT / "metrics"
# Modules still translating inline (issue 16, step 4 not finished for them): each is skipped by the two checks
# below until converted. Empty this dict, never add to it.
NOT_YET_CONVERTED: dict[str, str] = {}
# Modules whose Chinese literals are the data contract or data, not translations.
CONTRACT_MODULES = {
    "core/datasets.py": "the data contract itself: canonical Chinese headers, aliases and enum values (datasets.md)",
    "load/parsing.py": "what a clerk writes in a cell and parsing must recognise: 是/否, 万, 2023年5月12日, 元/万元",
    "load/forms.py": "marks of the county's paper forms read from a sheet: 合计, 小计, 填表人, ✓ …",
    "load/reader.py": "reads headers as the contract writes them (a unit in （）) and dates as a clerk writes them (年月日)",
    "load/rules.py": "marks a row rule recognises in a ledger (合计/小计 rows, 单位：元 title units) and unit names",
    "demo.py": "the demo ledgers' data",
    "core/config.py": "defaults of the county's own configuration (names, townships, budget lines), which is county data",
}
# Words allowed in any literal besides the contract's headers, aliases, enum values and townships (computed below).
ALLOWED_WORDS = {
    "宋体", "仿宋", "黑体",  # font names of Chinese official documents (typography, in either language)
    "万元", "元", "千克",  # the contract's units, written in headers as the clerk writes them
    "（", "）",  # alone: how the contract writes a header's unit, 金额（万元）, and what a file name swaps for ( )
    "、",  # how list values are joined in the ledgers (the contract's list separator)
    "%）",  # an axis title's unit mark the chart code recognises
    "未注明",  # budget.NOT_STATED: the value standing for a blank stage or payee, as a ledger would write it
    "\u3000",  # the ideographic space: whitespace a cell may hold (columnar.PY_WHITESPACE)
    "／",  # explore: the full-width slash that stands for "|" inside an encoded filter value
}
LITERAL_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff60]")


def _contract_words() -> list[str]:
    from metrics.core.config import default_config
    from metrics.core.datasets import DATASETS
    from metrics.kpi.explore import JOINED

    words = set(ALLOWED_WORDS)
    joined = [col for _, extra in JOINED.values() for col in extra]  # columns a joined ledger adds, declared alike
    for col in [*(c for ds in DATASETS.values() for c in ds.columns), *joined]:
        words.update((col.zh, *col.aliases, *col.choices))
    config = default_config()  # the county's own data: its name, its townships
    words.add(config.name.in_("zh"))
    for township in config.townships:
        words.update((township.name, *township.aliases))
    from metrics.demo import DEMO_COUNTIES

    words.update(zh for _, zh, *_ in DEMO_COUNTIES)  # the demo region's county names (demo data)
    from metrics.core.self_evaluation_config import FUND_SOURCES

    words.update(FUND_SOURCES)  # county.toml's [[self_evaluation.funds]] source values, the 自评表's own row names
    return sorted(words, key=len, reverse=True)  # longest first, so a word inside another goes with it


def _docstrings(nodes) -> set[int]:
    found = set()
    for node in nodes:
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            found.add(id(node.body[0].value))
    return found


def chinese_literals_left(source: str | Path, words: list[str]) -> list[tuple[int, str]]:
    """(line, literal) for each string literal (f-string parts included, docstrings not) with Chinese left once
    the contract's words are taken out."""
    nodes = source_tree.walk(source)
    docs = _docstrings(nodes)
    found = []
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and LITERAL_CJK.search(node.value):
            rest = node.value
            for word in words:
                rest = rest.replace(word, "")
            if LITERAL_CJK.search(rest):
                found.append((node.lineno, node.value))
    return found


def _library_modules():
    return source_tree.files("library", locales=False)


def test_no_chinese_text_in_the_library_outside_the_catalogues():
    words = _contract_words()
    problems = []
    for path in _library_modules():
        name = str(path.relative_to(METRICS))
        if name in CONTRACT_MODULES or name in NOT_YET_CONVERTED:
            continue
        problems += [f"metrics/{name}:{line}: {text!r}" for line, text in
                     chinese_literals_left(path, words)]
    assert problems == [], "Chinese text outside metrics/locales: give it a key (metrics.core.i18n.t)"


def _language_test(test) -> bool:
    """`en`, `zh`, `not en`, `lang == "en"`, `self.lang != "en"` …"""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Name):
        return test.id in ("en", "zh")
    return isinstance(test, ast.Compare) and any(isinstance(c, ast.Constant) and c.value in ("en", "zh")
                                                 for c in test.comparators)


def _literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, (ast.List, ast.Tuple)) and bool(node.elts) and all(_literal(e) for e in node.elts)


def language_choices(source: str | Path) -> list[int]:
    """Lines of each choice by language between two string literals (or lists of them) with Chinese in one:
    a translation. (A choice of column name or language tag, `"stage_en" if en else "stage"`, is not one.)"""
    return [node.lineno for node in source_tree.walk(source) if isinstance(node, ast.IfExp)
            and _language_test(node.test) and _literal(node.body) and _literal(node.orelse)
            and LITERAL_CJK.search(ast.unparse(node.body) + ast.unparse(node.orelse))]


def test_no_inline_two_language_choices_in_the_library():
    problems = [f"metrics/{path.relative_to(METRICS)}:{line}" for path in _library_modules()
                if str(path.relative_to(METRICS)) not in NOT_YET_CONVERTED
                for line in language_choices(path)]
    assert problems == [], "`x if en else y` between literals: use t(key, lang)"


def test_the_checks_catch_a_translation_put_back():
    words = _contract_words()
    put_back = 'def gap(lang):\n    zh = lang != "en"\n    return "已达标" if zh else "achieved"\n'
    assert chinese_literals_left(put_back, words) == [(3, "已达标")]
    assert language_choices(put_back) == [3]
    assert language_choices('def f(lang):\n    return f"{x} 项" if lang != "en" else f"{x} items"\n') == [2]
    assert language_choices('def f(en):\n    return ["指标"] if not en else ["KPI"]\n') == [2]
    # the contract's own words are not translations: an enum value in SQL, a township, a font, a unit
    assert chinese_literals_left("q = \"SELECT 1 FROM events WHERE type = '推介活动'\"\nfont = '宋体'\nu = '万元'\n", words) == []
    assert language_choices('def f(en):\n    return "en-US" if en else "zh-CN"\n') == []


def _error_classes() -> set[str]:
    """Names of the error classes that take a message key (metrics.core.errors.DashboardError and its subclasses)."""
    import importlib
    import pkgutil

    import metrics
    from metrics.core.errors import DashboardError

    for module in pkgutil.iter_modules(metrics.__path__):
        if module.name != "__main__":
            importlib.import_module(f"metrics.{module.name}")
    names, todo = {"ConfigProblem"}, [DashboardError]  # ConfigProblem: one problem of a ConfigError, by key
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def message_calls(source: str | Path, error_classes: set[str]) -> list[tuple[int, str, set[str] | None]]:
    """(line, key, names of the values given; None when they are passed as **mapping) of each t("key", …) call and
    each DashboardError(…) raised with a literal key."""
    found = []
    for node in source_tree.walk(source):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            continue
        func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if func == "t" or func in error_classes:
            given = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            found.append((node.lineno, node.args[0].value, given))
    return found


def message_problems(where: str, source: str | Path, error_classes: set[str]) -> tuple[int, list[str]]:
    """(calls read, problems) for one file: a key missing from a catalogue, or a {placeholder} given no value."""
    from metrics.core.locales import CATALOGUES

    problems = []
    calls = message_calls(source, error_classes)
    for line, key, given in calls:
        missing_in = [lang for lang, catalogue in CATALOGUES.items() if key not in catalogue]
        if missing_in:
            problems.append(f"{where}:{line}: key {key!r} not in {missing_in}")
            continue
        needed = set().union(*({field_name(name) for _, name, _, _ in string.Formatter().parse(catalogue[key]) if name}
                               for catalogue in CATALOGUES.values()))
        if given is not None and needed - given:
            problems.append(f"{where}:{line}: {key!r} needs {sorted(needed - given)}")
    return len(calls), problems


def test_every_key_the_library_uses_exists_with_the_values_its_text_needs():
    """A misspelt key would print the key's name; a value named differently from the text's {placeholder} would
    print the placeholder: both fail here instead."""
    errors = _error_classes()
    problems, used = [], 0
    for path in [*_library_modules(), *source_tree.files("pages", "ui")]:
        n, found = message_problems(str(path.relative_to(ROOT)), path, errors)
        used, problems = used + n, problems + found
    assert used > 300  # the check reads the calls at all
    assert problems == []


def test_the_key_check_catches_a_misspelt_key_and_a_misnamed_value():
    source = ('t("acceptance_h1", lang)\n'
              't("acceptance_hl", lang)\n'  # misspelt
              't("acceptance_pack_too_large", lang, mb=1, limt=2)\n'  # {limit} misnamed
              'PackTooLarge("acceptance_pack_too_large", mb=1)\n'  # {limit} missing at the raise
              't("acceptance_pack_too_large", lang, **values)\n')  # values not visible: not judged
    n, problems = message_problems("x.py", source, {"PackTooLarge"})
    assert n == 5
    assert problems == ["x.py:2: key 'acceptance_hl' not in ['zh', 'en']",
                        "x.py:3: 'acceptance_pack_too_large' needs ['limit']",
                        "x.py:4: 'acceptance_pack_too_large' needs ['limit']"]


def two_language_helpers(source: str | Path) -> list[str]:
    """Functions taking a text in each language, `def t(self, zh, en)`: a private translation path."""
    return [f"{node.lineno} {node.name}" for node in source_tree.walk(source)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and {"zh", "en"} <= {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}]


def test_no_two_language_helpers_in_the_library():
    problems = [f"metrics/{path.relative_to(METRICS)}:{found}" for path in _library_modules()
                for found in two_language_helpers(path)]
    assert problems == [], "a function taking zh and en texts: give the text a key instead"
    assert two_language_helpers("class B:\n    def t(self, zh: str, en: str) -> str:\n        return zh\n") == ["2 t"]


def test_a_value_kept_before_its_english_form_existed_still_renders():
    """A warning kept in the load log with {sheets} only renders {sheets_en} from it rather than showing the braces."""
    from metrics.core.i18n import t

    assert t("w_sheets_combined", "en", sheets="「一月」", dataset="培训场次", dataset_en="Training sessions") \
        == "sheets 「一月」 are all Training sessions; loaded together"


def test_every_declared_thing_has_its_words_in_every_catalogue():
    """Texts looked up by a key made from an id (`kpi_<id>_name` …) escape the literal-key check above: a KPI, ledger,
    area, status, role or grade declared without its words would show the bare key. Adding one fails here until
    every catalogue has them."""
    from metrics.core import registry
    from metrics.core.datasets import DATASETS
    from metrics.core.locales import CATALOGUES
    from metrics.kpi import status
    from metrics.load import templates
    from metrics.outputs import acceptance, digest, evidence
    from metrics.platform import auth

    wanted = [f"kpi_{k.id}_{part}" for k in registry.KPIS
              for part in ("name", "unit", "unit_one", "description", "sentence", "sentence_zero")]
    wanted += [f"dataset_{name}_name" for name in DATASETS]
    wanted += [f"area_{a}" for a in registry.AREAS] + [f"status_{s}" for s in status.STATUSES]
    wanted += [f"auth_role_{r}" for r in auth.ROLES] + [f"acceptance_grade_{g}" for _, g in acceptance.GRADES]
    wanted += [f"column_{c}" for c in evidence._ROW_LABELS] + [f"digest_channel_{c}" for c in digest.CHANNELS]
    wanted += [f"template_type_{c}" for c in templates.TEMPLATE_TYPES]
    wanted += [f"briefing_milestone_{s}" for s in ("done", "done_late", "overdue", "in_progress", "not_started")]
    assert {k.area for k in registry.KPIS} <= set(registry.AREAS)
    missing = [f"{lang}: {key}" for lang, catalogue in CATALOGUES.items() for key in wanted if key not in catalogue]
    assert missing == []
    assert registry.KPI_BY_ID["livestream_rooms"].unit("en", 1) == "room"  # the singular form of "rooms"
    assert registry.KPI_BY_ID["livestream_rooms"].unit("en", 2) == "rooms"
    assert registry.KPI_BY_ID["livestream_rooms"].unit("zh", 1) == "间"


def test_configuration_problems_read_in_either_language(tmp_path):
    """Each problem of data/county.toml is a key and values: listed in Chinese in the Chinese UI, in English (the
    words it had before) in the English UI, the log and the command line."""
    from metrics.core.config import ConfigError, load_config

    path = tmp_path / "county.toml"
    path.write_text("[calendar]\nstatus_threshold = 2\n", encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        error = exc
    else:
        raise AssertionError("a configuration without a calendar loaded")
    assert "calendar: missing 'start'" in error.problems  # as a str, a problem is its English text
    zh, en = error.message("zh"), error.message("en")
    assert "有误：calendar：缺少「start」；calendar.start：应为日期（YYYY-MM-DD），实际为 None；" in zh
    assert "calendar.status_threshold 必须在 0 到 1 之间" in zh
    assert "has problems: calendar: missing 'start'; calendar.start: expected a date (YYYY-MM-DD), got None; " in en
    assert chinese_left(en.replace(str(path), "")) == []
