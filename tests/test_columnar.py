"""The column-wise CSV path (metrics.load.columnar) gives exactly what the row-by-row path (validate.py) gives.

Every file here is checked twice: as it is (CSV goes through Arrow and DuckDB) and with ROW_BY_ROW_ONLY set (the
reference path). The stored table and the problem list must be the same, cell for cell and problem for problem.
The files are random mixes of the messy values datasets.md describes, for every ledger, with blank lines, title
rows, extra columns, quoted commas and line breaks; one is big enough for the fast paths of columns with many
distinct values to take over.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.core import columns_at_once
from metrics.core.config import default_config
from metrics.core.datasets import DATASETS
from metrics.load import columnar, duplicate_keys, rules, validate
from metrics.load.validate import ROW_BY_ROW_ONLY, parse_file

TODAY = dt.date(2024, 6, 30)
KEY = b"test-key"
CONFIG = default_config()

EMPTY_LIKE = ["", " ", "-", "—", "无数据", "N/A", "ＮＵＬＬ", "\u3000", "nan"]
TEXT = ["合作社", " 合作社 ", "布尔津县渔业合作社", "a\u3000b", "\xa0禾木\xa0", "x,y", 'say "hi"', "第一行\n第二行",
        "13912345678", "某某某某某某某某某某", "Ｂ１２３４５６７", "  long value here  ",
        # issue 23: invisible characters, full-width digits of a phone, a void word
        "K1\u200b", "\ufeff合作社", "王五１３９１２３４５６７８", "作废"]
DATES = ["2023-05-01", "2023/5/1", "2023年5月1日", "20230501", "45000", "2023-02-30", "2030-01-01",
         "2023-5-1 10:00", "abc", "2023-05-01 ", "１９９９-01-01", "2023-00-10", "2023.12.31",
         "2023年 5月 12日", "2023 - 05 - 12", "05/06/2023", "进行中", "未完成"]
MONTHS = ["2023-05", "2023年5月", "202305", "2023-13", "2023-05-01", "2023/1", "bad", "2023.1", "2023.10", "2023.2"]
NUMBERS = ["12.5", "1.2万", "125000元", "-3", "0", "1,234.5", "１２", "abc", "12.5%", "1e5", "99999", "3", "4", "5",
           "6", "7", "0.5", "12.50", "¥8", "8元", "3万元"]
INTS = ["3", "3.0", "3.5", "-1", "1万", "40", "7", "8", "9", "x"]
BOOLS = ["是", "否", "Y", "x", "maybe", "1", "0", "√", "没有"]


def _id_number(seed: int, good: bool = True) -> str:
    body = f"65432119{80 + seed % 20:02d}0{1 + seed % 9}1{seed % 10}{seed % 7}{seed % 10}{seed % 3}"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + (check if good else ("0" if check != "0" else "1"))


def _values(col, rng: random.Random) -> list[str]:
    if col.personal == "id_number":
        return [_id_number(i) for i in range(5)] + [_id_number(7, good=False), "123", "65432119800101123x"]
    if col.personal == "phone":
        return ["13912345678", "139 1234 5678", "123", "+86 13912345678"]
    pools = {"date": DATES, "month": MONTHS, "number": NUMBERS, "int": INTS, "bool": BOOLS,
             "enum": list(col.choices or ()) + ["bad"], "list": ["a、b", "a,b", "、、", "甲；乙",
                                                                "张三/李四", "张三 李四", "王五和赵六", "和平村合作社"],
             "township": [t.name for t in CONFIG.townships] + ["火星", " 禾木 "],
             "budget_line": ["3.2", "1.1", "9.9", "bad"]}
    pool = pools.get(col.type, TEXT)
    if col.is_key:
        pool = pool[:6] + [f"K{rng.randrange(40)}" for _ in range(6)] if col.type not in pools else pool
    return pool


def random_csv(dataset: str, rows: int, seed: int, title_rows: int = 0, extras: bool = True) -> bytes:
    rng = random.Random(seed)
    ds = DATASETS[dataset]
    columns = list(ds.columns)
    header = [c.zh + (f"（{c.unit}）" if c.unit in ("元", "万元") and rng.random() < 0.5 else "") for c in columns]
    pools = [_values(c, rng) for c in columns]
    if extras:
        header = ["序号", *header, "备注", ""]
    out = io.StringIO()
    writer = csv.writer(out)
    for t in range(title_rows):
        writer.writerow([f"{ds.label()}台账" if t == 0 else ""] + [""] * (len(header) - 1))
    writer.writerow(header)
    for i in range(rows):
        roll = rng.random()
        if roll < 0.03:
            writer.writerow([""] * len(header))  # a blank row in the table
            continue
        cells = [rng.choice(pool) if rng.random() < 0.85 else rng.choice(EMPTY_LIKE) for pool in pools]
        if extras:
            note = rng.choice(["", "电话 13912345678", "好", "-", "已退回", "电话１３９１２３４５６７８"])
            cells = [str(i + 1), *cells, note, rng.choice(["", "", "x"])]
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def _problems(parsed) -> list[tuple]:
    return sorted((p.severity, p.code, p.sheet or "", p.row or 0, p.column or "", p.value or "",
                   repr(sorted(p.params.items()))) for p in parsed.problems)


def _rows(parsed) -> list[dict]:
    if parsed.table is None:
        return []
    return sorted(parsed.table.to_pylist(), key=lambda r: r["_source_row"])


def both_paths(name: str, content: bytes, dataset: str | None = None, monkeypatch=None, threads: bool = False):
    """The file through the column-wise path (on the shared threads, whatever its size, when `threads`) and
    through the row-by-row reference, always on this thread."""
    taken = []
    real = columnar.validate

    def spy(*args, **kw):
        taken.append(real(*args, **kw))
        return taken[-1]

    monkeypatch.setattr(validate.columnar, "validate", spy)
    many_rows = columns_at_once.MANY_ROWS
    if threads:
        monkeypatch.setattr(columns_at_once, "MANY_ROWS", 0)
    try:
        fast = parse_file(name, content, dataset, CONFIG, KEY, TODAY)
    finally:
        monkeypatch.setattr(columns_at_once, "MANY_ROWS", many_rows)
    token = ROW_BY_ROW_ONLY.set(True)
    try:
        slow = parse_file(name, content, dataset, CONFIG, KEY, TODAY)
    finally:
        ROW_BY_ROW_ONLY.reset(token)
    # The file's hash (hashed on a shared thread when `threads`) names the file in the load log: a wrong one would
    # let the same file load twice, or call a new file already loaded.
    assert fast.sha256 == slow.sha256 == hashlib.sha256(content).hexdigest()
    return fast, slow, taken


@pytest.mark.parametrize("threads", [False, True], ids=["one_thread", "threads"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_ledger_same_answer_both_ways(dataset, threads, monkeypatch):
    content = random_csv(dataset, rows=300, seed=len(dataset), title_rows=len(dataset) % 3)
    fast, slow, taken = both_paths(f"{dataset}.csv", content, dataset, monkeypatch, threads)
    assert taken == [True], "the file should have gone through metrics.load.columnar"
    assert fast.problems, "the random file holds mistakes, so both paths must find some"
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow)
    assert fast.table is None or fast.table.schema == slow.table.schema


@pytest.mark.parametrize("threads", [False, True], ids=["one_thread", "threads"])
def test_big_file_fast_paths_same_answer(threads, monkeypatch):
    """25,000 rows: waybill, date and amount columns have enough distinct values for the Arrow fast paths (and,
    with `threads`, the columns are parsed and screened on the shared threads, as a 100,000-row file is)."""
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["序号", "运单号", "发货日期", "企业", "快递公司", "目的地", "重量（千克）", "补贴金额（元）"]
    writer.writerow(header)
    for i in range(25_000):
        if i in (9_000, 17_000):  # the header again mid-table (padded once), then the template's English keys:
            # the waybill column's fast path (many distinct values) must see them as the distinct-value path does
            writer.writerow(header if i == 9_000 else ["No.", "waybill", "date", "enterprise", "carrier",
                                                       " destination ", "weight_kg", "amount"])
        waybill = f"YT{i:09d}" if i % 997 else f" YT{i:09d} "  # some padded: they must go through Python
        if i % 4999 == 0:
            waybill = "YT000000001"  # duplicate keys
        day = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(50_000))
        date = day.isoformat() if i % 1500 else "2023-02-30"
        amount = f"{rng.randrange(1, 10**6)}.{rng.randrange(100):02d}" if i % 800 else rng.choice(["1.2万", "-5", "x"])
        weight = f"{rng.random() * 30:.3f}" if i % 900 else "2,5"
        writer.writerow([i + 1, waybill, date, f"合作社{i % 300}", "中通快递", f"城市{i % 40}", weight, amount])
    content = out.getvalue().encode("utf-8")
    fast, slow, taken = both_paths("big.csv", content, "logistics_subsidies", monkeypatch, threads)
    assert taken == [True]
    assert {p.code for p in fast.problems} >= {"bad_date", "negative", "bad_number", "duplicate_key",
                                                "w_future_date", "w_extra_column"}
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow)


def test_line_breaks_in_quoted_cells_across_arrows_blocks(monkeypatch):
    """Arrow splits a file into blocks at line ends; a line end inside a quoted cell is not one. With blocks of
    2 KB, a 40 KB file of such cells must still be read column-wise, with the rows-path's answer."""
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 2048)
    rows = "".join(f'A{i},2023-05-01,"布尔津县\n第{i}合作社",{i % 90 + 1}\n' for i in range(1000))
    content = ("运单号,发货日期,企业,补贴金额（元）\n" + rows).encode("utf-8")
    fast, slow, taken = both_paths("lines.csv", content, "logistics_subsidies", monkeypatch)
    assert taken == [True], "the quoted line breaks should not have sent the file row by row"
    assert _rows(fast) == _rows(slow) and len(_rows(fast)) == 1000
    assert _rows(fast)[7]["enterprise"] == "布尔津县\n第7合作社"


def test_gbk_and_quoted_cells_same_answer(monkeypatch):
    text = ('运单号,发货日期,企业,补贴金额（元）\n'
            'A1,2023-05-01,"布尔津县,渔业合作社",8\n'
            'A2,2023-05-02,"说""好""的合作社",9\n'
            'A3,2023-05-03,"两行\n的名字",10\n'
            '\n'
            'A4,2023-05-04,禾木合作社,-1\n')
    fast, slow, taken = both_paths("gbk.csv", text.encode("gbk"), None, monkeypatch)
    assert taken == [True]
    assert _problems(fast) == _problems(slow)
    # Rows as a spreadsheet shows them: header 1, A1 2, A2 3, A3 4 (its line break stays inside the cell), blank 5.
    assert [(p.code, p.row) for p in fast.errors] == [("negative", 6)]


def test_ragged_rows_take_the_row_by_row_path(monkeypatch):
    text = "运单号,发货日期,企业,补贴金额（元）\nA1,2023-05-01,合作社,8\nA2,2023-05-02,合作社\n"
    fast, slow, taken = both_paths("ragged.csv", text.encode(), None, monkeypatch)
    assert taken == [False]  # Arrow refuses a short row; the reference path reads it
    assert _problems(fast) == _problems(slow)
    assert _rows(fast) == _rows(slow) and len(_rows(fast)) == 2


def test_python_whitespace_constant_is_complete():
    assert set(columnar.PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def _big_subsidies(rows: int) -> str:
    lines = ["运单号,发货日期,企业,快递公司,目的地,重量（千克）,补贴金额（元）"]
    lines += [f"G{i:08d},2023-{1 + i % 12:02d}-{1 + i % 28:02d},布尔津县合作社{i % 50},中通快递,乌鲁木齐,"
              f"{1 + i % 20}.5,{3 + i % 12}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_large_gbk_file_is_decoded_as_arrow_reads_it(monkeypatch):
    """Over 1 MB, only the start is decoded up front; Arrow decodes the GB18030 rest as it reads."""
    content = _big_subsidies(30_000).encode("gbk")
    assert len(content) > 1 << 20
    fast, slow, taken = both_paths("big-gbk.csv", content, None, monkeypatch)
    assert taken == [True]
    assert fast.dataset.name == "logistics_subsidies" and fast.table.num_rows == 30_000
    assert _rows(fast) == _rows(slow) and _problems(fast) == _problems(slow)
    assert fast.table.column("enterprise")[7].as_py() == "布尔津县合作社7"


def test_large_file_with_a_bad_byte_late_gives_an_answer(monkeypatch):
    """A UTF-8 file whose start decodes but a later byte does not: Arrow refuses it, and the file is decided the
    way a small one is (here as GB18030, which reads any byte pair): an answer, never a crash."""
    content = _big_subsidies(30_000).encode("utf-8") + b"\xff\xfe,2023-01-01,x,y,z,1,2\n"
    fast, slow, taken = both_paths("late-bad-byte.csv", content, "logistics_subsidies", monkeypatch)
    assert taken == [False]  # Arrow refused the bytes; the row-by-row path answered
    assert fast.problems or fast.table is not None


# ----------------------------------------------- the duplicate-key probe: Arrow for a small file, DuckDB for a big one

KEYED = sorted(name for name, ds in DATASETS.items() if ds.key_columns)
# Values a clerk's keys take, with what must not be taken for equal: case, padding, full-width digits, a composed and
# a decomposed é, ß and ss, an empty string; and None (a null never matches, not even another null).
KEY_TEXTS = ["K1", "k1", "K1 ", "Ｋ１", "\u00e9", "e\u0301", "ß", "ss", "", "合作社", None]
KEY_DATES = [dt.date(2023, 5, 1), dt.date(2023, 5, 2), dt.date(1999, 12, 31), None]


def duckdb_answer(table: pa.Table, ds) -> bool:
    """What DuckDB's probe says (the path of a big file): Checks' own method with the small-file limit at 0."""
    checks = rules.Checks.__new__(rules.Checks)
    checks.d, checks.ds = table, ds
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(duplicate_keys, "SMALL_FILE_ROWS", 0)
        assert not duplicate_keys.answers(table, [f"v_{c.key}" for c in ds.key_columns])
        return checks._any_key_twice()


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_the_small_file_key_probe_gives_duckdbs_answer(data):
    ds = DATASETS[data.draw(st.sampled_from(KEYED))]
    rows = data.draw(st.integers(0, 6))  # few rows of few values: as often twice as not, near misses in between
    columns = {"_row": pa.array(range(2, rows + 2), pa.int64())}
    for col in ds.key_columns:
        arrow_type = rules.ARROW_TYPES[col.sql_type]
        pool = KEY_DATES if arrow_type == pa.date32() else KEY_TEXTS
        columns[f"v_{col.key}"] = pa.array(data.draw(st.lists(st.sampled_from(pool), min_size=rows, max_size=rows)),
                                           arrow_type)
    table = pa.table(columns)
    keys = [f"v_{c.key}" for c in ds.key_columns]
    assert duplicate_keys.answers(table, keys)  # every ledger's key types are answered by Arrow when small
    assert duplicate_keys.any_key_twice(table, keys) == duckdb_answer(table, ds)


def test_the_key_probe_by_hand():
    # (K1, 2023-05-01, 开设网店) twice in rows 2 and 4 -> twice; the same with 学员编号 empty in row 4 -> not (a null
    # never matches); two keys that differ only in the date -> not.
    ds = DATASETS["conversions"]
    keys = [f"v_{c.key}" for c in ds.key_columns]
    day = dt.date(2023, 5, 1)

    def table(ids, days):
        return pa.table({"_row": [2, 3, 4], "v_trainee_id": ids, "v_date": pa.array(days, pa.date32()),
                         "v_type": ["开设网店", "直播带货", "开设网店"]})

    assert duplicate_keys.any_key_twice(table(["K1", "K1", "K1"], [day, day, day]), keys)
    assert not duplicate_keys.any_key_twice(table(["K1", "K1", None], [day, day, day]), keys)
    assert not duplicate_keys.any_key_twice(table(["K1", "K1", "K1"], [day, day, dt.date(2023, 5, 2)]), keys)


def test_the_loader_allocates_arrow_memory_with_jemalloc_where_pyarrow_has_it():
    """Arrow's default allocator (mimalloc since pyarrow 13) made a 1M-row load a third slower and its time vary by
    half from run to run (pages handed back and faulted in again: metrics/load/__init__.py). Importing the loader
    switches the process to jemalloc where this pyarrow has it; the buffers a load makes come from that pool."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    import metrics.load  # noqa: F401 - the switch is made on import

    if "jemalloc" not in pa.supported_memory_backends():
        pytest.skip("this pyarrow has no jemalloc: Arrow's default stays")
    assert pa.default_memory_pool().backend_name == "jemalloc"
    before = pa.jemalloc_memory_pool().bytes_allocated()
    table = pacsv.read_csv(pa.BufferReader(b"a,b\n" + b"1,x\n" * 10_000))
    assert pa.jemalloc_memory_pool().bytes_allocated() > before  # the read's buffers are jemalloc's
    del table
