"""The evidence side of the acceptance pack (佐证材料): the ledger rows behind each KPI, masked as they may leave the
office, the evidence files attached to the loads holding those rows, and the zip with its index (目录).

Masking is metrics.platform.pii's one rule (names, ID and phone numbers); this module only decides which columns hold
the names of people.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from metrics.core import filenames, spreadsheet
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID
from metrics.core.spreadsheet import neutralise
from metrics.kpi import budget, views
from metrics.kpi.formatting import format_date, format_value
from metrics.kpi.scorecard import KpiResult
from metrics.platform import store
from metrics.platform.pii import PERSON_NAME_COLUMNS, is_derived_id, mask_name, scrub

Progress = Callable[[float, str], None]
# `data` below is metrics.outputs.acceptance.AcceptanceData, which imports this module (not named here: one-way imports).

# The evidence files travel inside the pack, held in memory once each: above this the pack is refused, saying so.
MAX_EVIDENCE_BYTES = 512 * 1024 * 1024


class PackTooLarge(DashboardError):
    """The evidence files behind the KPIs add up to more than one pack can hold."""



@dataclass
class KpiEvidence:
    code: str  # 佐证材料编号 of the KPI's folder, e.g. Z03
    rows: pd.DataFrame | None  # the ledger rows behind the value, personal data masked (None: only counted)
    files: list[dict]  # each: code, file_name, sha256, load_id, added_by, added_at
    n_rows: int = 0  # how many rows stand behind the value (the 目录 says it; a preview needs no more)

    def citation(self, lang: str) -> str:
        """What the report's 佐证材料编号 column says: the ledger extract, then the evidence files or their absence."""
        ledger = f"{self.code}-00"
        if not self.files:
            return t("acceptance_citation_no_files", lang, ledger=ledger, no_evidence=t("acceptance_no_evidence", lang))
        span = self.files[0]["code"] if len(self.files) == 1 else t("acceptance_evidence_span", lang,
                                                                    first=self.files[0]["code"], last=self.files[-1]["code"])
        return t("acceptance_citation_files", lang, ledger=ledger, span=span)




def _per_distinct(column: pd.Series, rule: Callable, may_change: Callable | None = None) -> pd.Series:
    """`rule` applied once per distinct value of the column, the answers spread back by index: at region scale a KPI
    stands on ~450,000 attendance rows, and masking cell by cell cost the acceptance pack a minute (issue 26).
    `may_change(uniques)`, when given, picks (vectorised) the distinct values the rule could change; the others are
    kept as they are without calling it. A column holding lists (参与主体) cannot be hashed: cell by cell."""
    values = column.astype(object)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    except TypeError:
        return values.map(rule)
    answers = np.empty(len(uniques), dtype=object)
    answers[:] = list(uniques)
    for i in (np.flatnonzero(may_change(answers)) if may_change is not None else range(len(answers))):
        answers[i] = rule(answers[i])
    return pd.Series(answers[codes], index=column.index, name=column.name, dtype=object)


# A text can hold an ID or mobile number only with at least eleven digits of some script (pii.scrub reads every
# character str.isdigit() calls a digit: \p{Nd}, and \p{No} for ⑥ or ⁶); a derived id is H and 16 hex digits.
_DIGIT_RE2 = r"\p{Nd}|\p{No}"
_DERIVED_RE2 = r"^H[0-9a-f]{16}$"


def _texts_to_mask(uniques: np.ndarray) -> np.ndarray:
    """Which distinct values the text rule (_mask_text) could change: the vectorised sieve of _per_distinct."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = np.fromiter((isinstance(v, str) for v in uniques), bool, len(uniques))
    where = np.flatnonzero(texts)
    if not len(where):
        return texts
    arr = pa.array(uniques[where].tolist(), pa.string())
    hit = pc.or_(pc.greater_equal(pc.count_substring_regex(arr, _DIGIT_RE2), 11),
                 pc.match_substring_regex(arr, _DERIVED_RE2))
    texts[where] = hit.to_numpy(zero_copy_only=False)
    return texts


def _mask_text(withheld: str) -> Callable:
    """The rule for a text cell that leaves the office: a derived id withheld, ID/phone-like numbers masked."""
    return lambda v: (withheld if is_derived_id(v) else scrub(v)) if isinstance(v, str) else v


def mask_rows(frame: pd.DataFrame, kpi_id: str, lang: str = "zh") -> pd.DataFrame:
    """The rows as they may leave the office: people's names shortened (pii.mask_name, the one rule), no ID hash nor
    id derived from one (「编号已脱敏」), ID/phone-like numbers masked wherever they stand."""
    frame = frame.drop(columns=[c for c in frame.columns if c in ("id_hash", "_extra")]).copy()
    datasets = KPI_BY_ID[kpi_id].datasets
    for owner, column in PERSON_NAME_COLUMNS.items():
        if column in frame.columns and owner in datasets:
            frame[column] = _per_distinct(frame[column], mask_name)
    text_rule = _mask_text(t("acceptance_id_withheld", lang))
    for column in frame.columns:
        # Text columns of any dtype (object, or pandas' string dtype from Arrow): a check on `object` alone missed them.
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = _per_distinct(frame[column], text_rule, _texts_to_mask)
    return frame


# Headers of the columns the KPI row queries compute (the registry's rows_sql); ledger columns take the data contract's.
# The same words as the dashboard's tables (dashboard_ui/texts.py COLUMNS, which metrics/ cannot import).
# Their words are `column_<key>` in the catalogues.
_ROW_LABELS = ("first_session", "counted", "home", "participant", "events", "first_event", "all_platforms", "counts")


def row_labels(frame: pd.DataFrame, kpi_id: str, lang: str) -> pd.DataFrame:
    """Column headers as clerks know them: the KPI's own ledgers first, then any ledger, then computed columns."""
    from metrics.core.datasets import DATASETS

    names: dict[str, str] = {}
    ledgers = [DATASETS[d] for d in KPI_BY_ID[kpi_id].datasets if d in DATASETS]
    for ds in [*ledgers, *DATASETS.values()]:
        for col in ds.columns:
            unit = _UNIT_KEYS.get(col.unit)  # an amount says its unit (万元 or 元: two ledgers, two units)
            names.setdefault(col.stored_as, t("acceptance_header_with_unit", lang, label=col.label(lang),
                                              unit=t(unit, lang)) if unit else col.label(lang))
    for key in _ROW_LABELS:
        names.setdefault(key, t(f"column_{key}", lang))
    return frame.rename(columns={c: names.get(c, c) for c in frame.columns})


_UNIT_KEYS = {"万元": "unit_wan_yuan", "元": "acceptance_unit_yuan", "千克": "acceptance_unit_kg"}
_ROWS_PREFIX = "SELECT * EXCLUDE (_load_id, _source_row, _extra) FROM"


def row_load_ids(con: duckdb.DuckDBPyConnection, kpi_id: str, as_of: dt.date) -> list[int]:
    """The loads that hold the rows behind a KPI's value at as-of (their evidence supports the figure).

    Where the KPI's row query (the registry's rows_sql) selects whole ledger rows, the same query gives their loads;
    otherwise every load of the KPI's ledgers with a row dated on or before as-of (undated ledgers: every row).
    """
    sql = KPI_BY_ID[kpi_id].rows_sql
    if sql.startswith(_ROWS_PREFIX):
        inner = "SELECT _load_id FROM" + sql[len(_ROWS_PREFIX):]
        frame = store.query(con, f"SELECT DISTINCT _load_id FROM ({inner}) ORDER BY 1", {"as_of": as_of})
        return [int(x) for x in frame["_load_id"]]
    ids: set[int] = set()
    for dataset in KPI_BY_ID[kpi_id].datasets:
        if dataset == "training_attendance":
            q = ("SELECT DISTINCT a._load_id FROM training_attendance a JOIN training_sessions s USING (session_id) "
                 "WHERE s.date <= ?")
        elif DATASETS[dataset].date_column:
            q = f'SELECT DISTINCT _load_id FROM "{dataset}" WHERE "{DATASETS[dataset].date_column}" <= ?'
        else:
            q = f'SELECT DISTINCT _load_id FROM "{dataset}" WHERE ? IS NOT NULL'
        ids.update(int(x) for x in store.query(con, q, [as_of])["_load_id"])
    return sorted(ids)


def collect_evidence(con, results: list[KpiResult], dates: dict[str, dt.date], lang: str,
              contents: bool) -> tuple[dict[str, KpiEvidence], dict[str, bytes] | None]:
    attached = store.query(con, """
        SELECT e.load_id, e.file_name, e.sha256, e.added_by, e.added_at FROM evidence e
        JOIN loads l USING (load_id) WHERE l.status = 'active' ORDER BY e.load_id, e.added_at, e.file_name""")
    evidence, wanted = {}, set()
    masked: dict[tuple, pd.DataFrame] = {}  # KPIs resting on the same rows (人次 and 人数) read and mask them once
    counted: dict[tuple, int] = {}
    for n, r in enumerate(results, start=1):
        code = f"Z{n:02d}"
        as_of = dates[r.id]  # the KPI's judging date: the rows behind the value the pack shows
        loads = set(row_load_ids(con, r.id, as_of)) if not attached.empty else set()
        mine = attached[attached["load_id"].isin(loads)] if loads else attached.iloc[0:0]
        files = [{"code": f"{code}-{k:02d}", "file_name": row.file_name, "sha256": row.sha256,
                  "load_id": int(row.load_id), "added_by": row.added_by, "added_at": row.added_at}
                 for k, row in enumerate(mine.itertuples(), start=1)]
        wanted.update(f["sha256"] for f in files)
        if contents:
            same = (KPI_BY_ID[r.id].rows_sql, KPI_BY_ID[r.id].datasets, as_of)
            if same not in masked:
                masked[same] = mask_rows(views.kpi_rows(con, r.id, as_of), r.id, lang)
            rows = masked[same]
            evidence[r.id] = KpiEvidence(code, rows, files, len(rows))
        else:  # the page's preview shows the 目录 and citations: a count, not ~450,000 masked rows at region scale
            same = (KPI_BY_ID[r.id].rows_sql, as_of)
            if same not in counted:
                counted[same] = views.kpi_rows_count(con, r.id, as_of)
            evidence[r.id] = KpiEvidence(code, None, files, counted[same])
    total = sum(int(store.one(con, "SELECT size FROM evidence_files WHERE sha256 = ?", [sha])[0] or 0)
                for sha in wanted)
    if total > MAX_EVIDENCE_BYTES:
        mb, limit = total / 2**20, MAX_EVIDENCE_BYTES / 2**20
        raise PackTooLarge("acceptance_pack_too_large", mb=mb, limit=limit)
    if not contents:
        return evidence, None
    blobs = {}
    for sha in sorted(wanted):
        row = store.one(con, "SELECT content FROM evidence_files WHERE sha256 = ?", [sha])
        if row:
            blobs[sha] = bytes(row[0])
    return evidence, blobs



# ---------------------------------------------------------------------------------------- evidence pack

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip() or "_"


def _cell_text(value):
    """A value for a spreadsheet cell; text that would start a formula is quoted (formula injection)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):  # a list column (参与主体) comes back from DuckDB as an array
        value = "、".join(map(str, value))
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def frames_xlsx(sheets: list[tuple[str, pd.DataFrame, set[int]]]) -> bytes:
    """Frames as sheets; rows whose index is in the set are written in red."""
    buffer = io.BytesIO()
    book = spreadsheet.new_workbook(buffer, constant_memory=False, default_date_format="yyyy-mm-dd")
    head = book.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1})
    red = book.add_format({"font_color": "#C00000", "bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame, red_rows in sheets:
        sheet = book.add_worksheet(_safe(name)[:31])
        for c, column in enumerate(frame.columns):
            sheet.write(0, c, str(column), head)
            # As wide as the header and the first rows need (CJK characters count double), within bounds.
            sample = [str(column), *(str(v) for v in frame.iloc[:200, c] if v is not None)]
            sheet.set_column(c, c, spreadsheet.column_width(sample))
        for r, values in enumerate(frame.itertuples(index=False), start=1):
            fmt = red if (r - 1) in red_rows else None
            for c, value in enumerate(values):
                value = _cell_text(value)
                if value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if type(value) is dt.date
                                         else value, fmt or date)
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, fmt)
                else:
                    sheet.write_string(r, c, str(value), fmt)
        sheet.freeze_panes(1, 0)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()


# A ledger extract over this many rows goes into the pack as CSV (UTF-8 with BOM, which Excel and WPS open as they
# open .xlsx): at region scale a training KPI stands on ~450,000 attendance rows, and writing them cell by cell as
# .xlsx took most of a minute per KPI (issue 26); such a sheet is slow to open in WPS anyway.
LEDGER_XLSX_MAX_ROWS = 50_000


def ledger_file(ev: KpiEvidence, r: KpiResult, lang: str) -> str:
    """The ledger extract's path inside the pack: .xlsx, or .csv for a long one (LEDGER_XLSX_MAX_ROWS)."""
    suffix = "csv" if ev.n_rows > LEDGER_XLSX_MAX_ROWS else "xlsx"
    return f"{_folder(ev, r)}/{ev.code}-00_{t('acceptance_ledger', lang)}.{suffix}"


def _csv_cell(value):
    """A value for a CSV cell, written as the .xlsx extract writes it: text that would start a formula quoted, a
    list joined with 、, a date without a time."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (dt.datetime, pd.Timestamp)) and value == value.replace(hour=0, minute=0, second=0,
                                                                                microsecond=0):
        return value.strftime("%Y-%m-%d")
    value = _cell_text(value)
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A frame as CSV bytes for the pack, each cell by _csv_cell (once per distinct value of a column)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]) \
                or pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = _per_distinct(out[column], _csv_cell)
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def index_frame(data) -> tuple[pd.DataFrame, set[int]]:
    """The 目录: one row per file of the pack with its 佐证材料编号; a KPI without evidence gets a red row."""
    lang = data.lang
    rows, red = [], set()
    for r in data.results:
        ev = data.evidence[r.id]
        folder = _folder(ev, r)
        rows.append({"code": f"{ev.code}-00", "kpi": r.name, "value": format_value(r.id, r.value, lang),
                     "file": ledger_file(ev, r, lang),
                     "about": t("acceptance_rows_about", lang, n_rows=ev.n_rows,
                                as_of=format_date(data.dates.kpi_dates[r.id], lang))})
        if not ev.files:
            red.add(len(rows))
            rows.append({"code": ev.code, "kpi": r.name, "value": format_value(r.id, r.value, lang), "file": "",
                         "about": t("acceptance_no_evidence", lang)})
        for f in ev.files:
            rows.append({"code": f["code"], "kpi": r.name, "value": format_value(r.id, r.value, lang),
                         "file": f"{folder}/{_evidence_name(f)}",
                         "about": t("acceptance_evidence_of_load", lang, load_id=f['load_id'],
                                    file_name=f['file_name'], added_by=f['added_by'], added_at=f['added_at'])})
    frame = pd.DataFrame(rows, columns=["code", "kpi", "value", "file", "about"])
    frame.columns = [t("acceptance_evidence_no", lang), t("acceptance_kpi", lang), t("acceptance_value", lang),
                     t("acceptance_file", lang), t("acceptance_about", lang)]
    return frame, red


def _folder(ev: KpiEvidence, r: KpiResult) -> str:
    return _safe(f"{ev.code}_{r.name}")


def _evidence_name(f: dict) -> str:
    # Shortened to what unzip can create: a stored name may predate the cap at upload (metrics/core/filenames.py).
    return filenames.fit(_safe(f"{f['code']}_{f['file_name']}"))


def stage_frames(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    lang = data.lang
    stages = pd.DataFrame({
        t("acceptance_stage", lang): [budget.stage_name(s, lang) for s in data.stages["stage"]],
        t("acceptance_payments", lang): data.stages["payments"],
        t("acceptance_paid", lang): data.stages["paid_wan"].round(4),
        t("acceptance_accepted_on", lang): [a if need else None for a, need in zip(data.stages["accepted_on"],
                                                                          data.stages["needs_acceptance"])],
        t("acceptance_early", lang): data.stages["early_wan"].round(4),
    })
    early = data.early.rename(columns={"voucher": t("acceptance_voucher", lang),
                                       "date": t("acceptance_paid_on", lang),
                                       "line": t("acceptance_plan_line", lang),
                                       "amount": t("acceptance_amount_10k_yuan", lang),
                                       "payee": t("acceptance_payee", lang), "stage": t("acceptance_stage", lang),
                                       "needs_acceptance_on": t("acceptance_due", lang)})
    return stages, early


def after_end_frame(data) -> pd.DataFrame:
    """Payments after the project's end up to the pack's date, with the amount's unit in its header."""
    lang = data.lang
    return data.after_end.rename(columns={"voucher": t("acceptance_voucher", lang), "date": t("acceptance_paid_on", lang),
                                          "line": t("acceptance_plan_line", lang),
                                          "amount": t("acceptance_amount_10k_yuan", lang),
                                          "payee": t("acceptance_payee", lang)})


def evidence_zip(data, progress: Progress | None = None) -> bytes:
    if data.blobs is None:
        raise ValueError("the evidence contents were not read: collect(..., contents=True)")
    lang = data.lang
    buffer = io.BytesIO()
    index, red = index_frame(data)
    stages, early = stage_frames(data)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr(f"00_{t('acceptance_index', lang)}.xlsx",
                      frames_xlsx([(t("acceptance_index", lang), index, red),
                                   (t("acceptance_stages_sheet", lang), stages,
                                    set(stages.index[stages[t("acceptance_early", lang)] > 0])),
                                   (t("acceptance_early_sheet", lang), early, set(range(len(early)))),
                                   (t("acceptance_paid_after_end_sheet", lang), after_end_frame(data), set())]))
        written: dict[int, bytes] = {}
        for n, r in enumerate(data.results):
            ev = data.evidence[r.id]
            folder = _folder(ev, r)
            if id(ev.rows) not in written:  # KPIs on the same rows (collect_evidence) share one written extract
                rows = row_labels(ev.rows, r.id, lang)
                written[id(ev.rows)] = (frame_csv(rows) if ev.n_rows > LEDGER_XLSX_MAX_ROWS
                                        else frames_xlsx([(r.name, rows, set())]))
            pack.writestr(ledger_file(ev, r, lang), written[id(ev.rows)])
            for f in ev.files:
                pack.writestr(f"{folder}/{_evidence_name(f)}", data.blobs[f["sha256"]])
            if progress:
                progress(0.6 + 0.35 * (n + 1) / len(data.results), r.name)
    return buffer.getvalue()


