"""The files and databases the benchmark measures on: 物流补贴 ledgers of any size as CSV and .xlsx, the demo
ledgers at a scale, and a synthetic region of county snapshots (each a distinct file)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def subsidy_csv(path: Path, rows: int, encoding: str = "utf-8", first: int = 0) -> Path:
    """`rows` logistics subsidies, waybills B{first:08d} on (another `first`: other rows, a load that adds)."""
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write("运单号,发货日期,企业,快递公司,目的地,重量（千克）,补贴金额（元）\n")
        for i in range(first, first + rows):
            f.write(f"B{i:08d},2023-{1 + i % 12:02d}-{1 + i % 28:02d},合作社{i % 300},中通快递,城市{i % 40},"
                    f"{1 + i % 20}.5,{3 + i % 12}\n")
    return path


def subsidy_xlsx(path: Path, rows: int) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("物流补贴")
    sheet.write_row(0, 0, ["运单号", "发货日期", "企业", "快递公司", "目的地", "重量（千克）", "补贴金额（元）"])
    for i in range(rows):
        sheet.write_row(i + 1, 0, [f"B{i:08d}", f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}", f"合作社{i % 300}",
                                   "中通快递", f"城市{i % 40}", 1 + i % 20 + 0.5, 3 + i % 12])
    book.close()
    return path


def scaled_demo(scale: int, out: Path) -> Path:
    """The demo ledgers at `scale` times their size: keyed rows copied with their keys suffixed, as template
    files (CSV) that load through the ordinary ingest path. The monthly retail series keeps its 48 months."""
    import csv

    from metrics.demo import demo_files
    from metrics.load.parsing import parse_number
    from metrics.load.reader import read_file

    out.mkdir(parents=True, exist_ok=True)
    key_like = ("编号", "运单号", "凭证号", "名称", "标题", "品牌名称", "单品名称", "企业名称")
    for path in demo_files():
        sheet = read_file(path.name, path.read_bytes())[0]
        rows = [r for r in sheet.rows if any(c not in (None, "") for c in r)]
        header_at = next(i for i, r in enumerate(rows) if sum(1 for c in r if c not in (None, "")) >= 3)
        header, body = rows[header_at], rows[header_at + 1:]
        keyed = [i for i, h in enumerate(header) if str(h).endswith(key_like) or str(h) in ("学员编号", "场次编号")]
        trainee = header.index("学员编号") if "学员编号" in header else None
        id_number = header.index("身份证号") if "身份证号" in header else None
        copies = 1 if "online_retail" in path.name else scale
        # Payments: as many again, each a `scale`-th of its amount, so the ledger still adds up to the same spending
        # (a ledger over the project's budget is refused as a unit mistake).
        amount = next((i for i, h in enumerate(header) if str(h).startswith("金额")), None) \
            if "expenditures" in path.name else None
        with open(out / (path.stem + ".csv"), "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for k in range(copies):
                for row in body:
                    row = list(row) + [None] * (len(header) - len(row))
                    if amount is not None and row[amount] not in (None, ""):
                        row[amount] = round(parse_number(row[amount], "万元") / scale, 6)  # "14000元" too
                    if k and trainee is not None and id_number is not None and not row[trainee] and row[id_number]:
                        # A copy of a person known only by ID number becomes another person with a code.
                        row[trainee] = "P" + hashlib.sha256(str(row[id_number]).encode()).hexdigest()[:12]
                    writer.writerow([(f"{c}-{k}" if k and i in keyed and c not in (None, "") else
                                      (c.isoformat() if hasattr(c, "isoformat") else c)) for i, c in enumerate(row)])
    return out


REGION_COUNTIES = 1489  # demonstration counties nationally


def synthetic_region(directory: Path, counties: int, templates: int = 7) -> Path:
    """`counties` snapshots with their configurations: copies of a few small county databases (each with its own
    sessions, attendance, payments and 36 months of retail), made with plain SQL; copies keep the set-up quick.
    Every copy then gets a payment of its own (its amount and voucher differ), so each county is a distinct file
    with its own budget figure: the score cache keys on the file's content, and copies of 7 files would be scored
    as 7 (issue 26)."""
    import shutil

    import duckdb

    from metrics.core.config import DEFAULT_CONFIG
    from metrics.platform import store

    directory.mkdir(parents=True, exist_ok=True)
    config_text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    made = []
    for k in range(templates):
        path = directory / f"template{k}.duckdb.src"
        con = store.connect(path)
        con.execute("INSERT INTO training_sessions (session_id, date, township, topic, mode) SELECT 'S' || i, "
                    "DATE '2023-01-01' + (i * 3)::INTEGER, '禾木哈纳斯蒙古族乡', '直播带货', '线下' FROM range(?) t(i)", [20 + 10 * k])
        con.execute("INSERT INTO training_attendance (session_id, trainee_id) SELECT 'S' || (i % ?), 'T' || i "
                    "FROM range(?) t(i)", [20 + 10 * k, 400 + 150 * k])
        con.execute("INSERT INTO expenditures (voucher, date, line, amount) SELECT 'PZ' || i, DATE '2023-01-05' + (i * 20)::INTEGER, "
                    "'1.1', 3 + i % 5 FROM range(?) t(i)", [10 + 3 * k])
        con.execute("INSERT INTO online_retail (month, total, agri) SELECT (DATE '2021-01-01' + to_months(i::INTEGER))::DATE, "
                    "1000 + i * ?, 300 + i * 3 FROM range(36) t(i)", [10 + 4 * k])
        store.bump_data_version(con)  # rows written directly: the derived tables follow (metrics/platform/derived.py)
        con.execute("CHECKPOINT")
        con.close()
        made.append(path)
    for i in range(counties):
        target = directory / f"county{i:04d}.duckdb"
        shutil.copyfile(made[i % templates], target)
        con = duckdb.connect(str(target))
        con.execute("INSERT INTO expenditures (voucher, date, line, amount) VALUES (?, DATE '2023-06-30', '1.1', ?)",
                    [f"PZ-county{i:04d}", 1 + i / 100])
        con.close()
        target.with_suffix(".toml").write_text(
            config_text.replace('name_zh = "布尔津县"', f'name_zh = "示例县{i:04d}"', 1), encoding="utf-8")
    for path in made:
        path.unlink()
    return directory


def charts_app(path: Path) -> Path:
    """The crowd's second floor: a plain Streamlit page of seven cached Plotly bar charts (what the overview shows,
    without our frame, sign-in, navigation or data). Between it and the empty app lies what Streamlit and Plotly
    cost per viewer; between it and the overview, what our frame and pages cost."""
    path.write_text(
        "import plotly.graph_objects as go\n"
        "import streamlit as st\n\n"
        "@st.cache_resource\n"
        "def figure(i):\n"
        "    return go.Figure(go.Bar(x=[f'指标{k}' for k in range(12)], y=[(k * 7 + i) % 13 for k in range(12)]))\n\n"
        "st.title('charts')\n"
        "for i in range(7):\n"
        "    st.plotly_chart(figure(i), key=f'c{i}')\n", encoding="utf-8")
    return path
