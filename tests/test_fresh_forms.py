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
    "g01_spend_merged_subtotals.ods": ("wrongly refused", "分类汇总 row '3.2 汇总' read as data (预算科目 not in the plan); 预算科目 merged down"),
    "g01_spend_merged_subtotals.xls": ("wrongly refused", "分类汇总 row '3.2 汇总' read as data (预算科目 not in the plan); 预算科目 merged down"),
    "g01_spend_merged_subtotals.xlsx": ("wrongly refused", "分类汇总 row '3.2 汇总' read as data (预算科目 not in the plan); 预算科目 merged down"),
    "g02_spend_unit_in_note.gbk.csv": ("wrongly refused", "注：金额单位为元 under the table ignored: 77500 万元 over the 500 万元 budget"),
    "g02_spend_unit_in_note.ods": ("wrongly refused", "注：金额单位为元 under the table ignored: 77500 万元 over the 500 万元 budget"),
    "g02_spend_unit_in_note.xls": ("wrongly refused", "注：金额单位为元 under the table ignored: 77500 万元 over the 500 万元 budget"),
    "g02_spend_unit_in_note.xlsx": ("wrongly refused", "注：金额单位为元 under the table ignored: 77500 万元 over the 500 万元 budget"),
    "g03_retail_units_row.ods": ("wrongly refused", "units row (万元 under the header) read as a data row"),
    "g03_retail_units_row.utf8bom.csv": ("wrongly refused", "units row (万元 under the header) read as a data row"),
    "g03_retail_units_row.xls": ("wrongly refused", "units row (万元 under the header) read as a data row"),
    "g03_retail_units_row.xlsx": ("wrongly refused", "units row (万元 under the header) read as a data row"),
    "g06_sessions_attendance_merged.ods": ("wrongly refused", "vertical merges (乡镇, 场次编号) fill only their first row: 必填项为空"),
    "g06_sessions_attendance_merged.xls": ("wrongly refused", "vertical merges (乡镇, 场次编号) fill only their first row: 必填项为空"),
    "g06_sessions_attendance_merged.xlsx": ("wrongly refused", "vertical merges (乡镇, 场次编号) fill only their first row: 必填项为空"),
    "g07_sessions_hidden_old.ods": ("wrongly refused", "hidden sheet 旧版（作废） read: its PX2023-211 refused as a duplicate"),
    "g07_sessions_hidden_old.xls": ("wrongly refused", "hidden sheet 旧版（作废） read: its PX2023-211 refused as a duplicate"),
    "g07_sessions_hidden_old.xlsx": ("wrongly refused", "hidden sheet 旧版（作废） read: its PX2023-211 refused as a duplicate"),
    "g11_logistics_div0.ods": ("accepted wrong", "#DIV/0! in 重量 read as an empty cell"),
    "g11_logistics_div0.xls": ("accepted wrong", "#DIV/0! in 重量 read as an empty cell"),
    "g11_logistics_div0.xlsx": ("accepted wrong", "#DIV/0! in 重量 read as an empty cell"),
    "g14_assets_merged_location.ods": ("wrongly refused", "进行中 in 验收日期 refused: 不是有效日期"),
    "g14_assets_merged_location.xls": ("wrongly refused", "进行中 in 验收日期 refused: 不是有效日期"),
    "g14_assets_merged_location.xlsx": ("wrongly refused", "进行中 in 验收日期 refused: 不是有效日期"),
    "g15_upgrades_merged_key.ods": ("wrongly refused", "未完成 / — in 完成日期 refused; 企业名称 merged down: 必填项为空"),
    "g15_upgrades_merged_key.xls": ("wrongly refused", "未完成 / — in 完成日期 refused; 企业名称 merged down: 必填项为空"),
    "g15_upgrades_merged_key.xlsx": ("wrongly refused", "未完成 / — in 完成日期 refused; 企业名称 merged down: 必填项为空"),
    "g16_spend_years_hidden_scratch.ods": ("accepted wrong", "hidden sheet 草稿 read: JZ2024-099 (99 万元) stored"),
    "g16_spend_years_hidden_scratch.xls": ("accepted wrong", "hidden sheet 草稿 read: JZ2024-099 (99 万元) stored"),
    "g16_spend_years_hidden_scratch.xlsx": ("accepted wrong", "hidden sheet 草稿 read: JZ2024-099 (99 万元) stored"),
    "g19_spend_qianyuan_subtotals.ods": ("wrongly refused", "分类汇总 rows ('新疆某设计公司 汇总', 总计) read as data: 凭证号 必填项为空"),
    "g19_spend_qianyuan_subtotals.utf8bom.csv": ("wrongly refused", "分类汇总 rows ('新疆某设计公司 汇总', 总计) read as data: 凭证号 必填项为空"),
    "g19_spend_qianyuan_subtotals.xls": ("wrongly refused", "分类汇总 rows ('新疆某设计公司 汇总', 总计) read as data: 凭证号 必填项为空"),
    "g19_spend_qianyuan_subtotals.xlsx": ("wrongly refused", "分类汇总 rows ('新疆某设计公司 汇总', 总计) read as data: 凭证号 必填项为空"),
    "g20_events_unit_footer.gbk.csv": ("wrongly refused", "单位：元 under the table read as a data row"),
    "g20_events_unit_footer.ods": ("wrongly refused", "单位：元 under the table read as a data row"),
    "g20_events_unit_footer.xls": ("wrongly refused", "单位：元 under the table read as a data row"),
    "g20_events_unit_footer.xlsx": ("wrongly refused", "单位：元 under the table read as a data row"),
    "g26_logistics_repeated_header.ods": ("wrongly refused", "header repeated after a page break read as a data row"),
    "g26_logistics_repeated_header.utf8bom.csv": ("wrongly refused", "header repeated after a page break read as a data row"),
    "g26_logistics_repeated_header.xls": ("wrongly refused", "header repeated after a page break read as a data row"),
    "g26_logistics_repeated_header.xlsx": ("wrongly refused", "header repeated after a page break read as a data row"),
    "g27_spend_two_units.gbk.csv": ("accepted wrong", "单位：万元 above and 注：金额单位为元 below, accepted: 50 stored as 万元"),
    "g27_spend_two_units.ods": ("accepted wrong", "单位：万元 above and 注：金额单位为元 below, accepted: 50 stored as 万元"),
    "g27_spend_two_units.xls": ("accepted wrong", "单位：万元 above and 注：金额单位为元 below, accepted: 50 stored as 万元"),
    "g27_spend_two_units.xlsx": ("accepted wrong", "单位：万元 above and 注：金额单位为元 below, accepted: 50 stored as 万元"),
    "g33_spend_ref_error.gbk.csv": ("accepted wrong", "#REF! in 说明 stored"),
    "g33_spend_ref_error.ods": ("accepted wrong", "#REF! in 说明 stored"),
    "g33_spend_ref_error.xls": ("accepted wrong", "#REF! in 说明 stored"),
    "g33_spend_ref_error.xlsx": ("accepted wrong", "#REF! in 说明 stored"),
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
