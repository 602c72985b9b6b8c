"""An editor's own words on the 绩效自评表 (实际完成情况, 偏差原因分析及改进措施): read from the store and put over the
generated text, so a pack made again keeps them. Written only through metrics.actions.edit_self_evaluation."""

from __future__ import annotations

import duckdb

from metrics.platform import store

GOAL = "goal"  # the row key of 年度总体目标 · 实际完成情况; other keys are the indicator rows' (a KPI id, timeliness …)
MAX_CHARS = 2000  # one cell of the form; longer text is refused, saying so


def read_edits(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(sheet, row) -> (text, who, when). A database made before the table existed has none."""
    exists = store.one(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'self_evaluation_edits'")
    if not exists[0]:
        return {}
    frame = store.query(con, "SELECT sheet, row_key, text, edited_by, edited_at FROM self_evaluation_edits")
    return {(row.sheet, row.row_key): (row.text, row.edited_by, str(row.edited_at)[:16])
            for row in frame.itertuples()}


def apply_edits(sheets, edits: dict[tuple[str, str], tuple[str, str, str]]) -> None:
    for sheet in sheets:
        for (key, row_key), edit in edits.items():
            if key != sheet.key:
                continue
            if row_key == GOAL:
                sheet.goal_actual = edit[0]
                sheet.edited[GOAL] = edit
            for row in sheet.indicators:
                if row.key == row_key:
                    row.deviation = edit[0]
                    sheet.edited[row_key] = edit
