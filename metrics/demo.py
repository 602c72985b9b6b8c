"""The demo ledgers (data/demo/, made by data/demo/generate.py), loaded through the ordinary ingest path.

Loads are marked is_demo so every page can label the data 演示数据.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .config import PROJECT_ROOT
from .ingest import BatchResult, ingest_paths

DEMO_DIR = PROJECT_ROOT / "data" / "demo"


def demo_files() -> list[Path]:
    return sorted(p for p in DEMO_DIR.iterdir() if p.suffix in (".csv", ".xlsx"))


def load_demo(con: duckdb.DuckDBPyConnection) -> BatchResult:
    # One batch: the files refer to each other (attendance -> sessions), and all or nothing applies to the lot.
    return ingest_paths(con, demo_files(), user="demo", is_demo=True)


def load_demo_if_empty(con: duckdb.DuckDBPyConnection) -> BatchResult | None:
    """First start: load the demo when nothing was ever loaded into this database (None: something was)."""
    if con.execute("SELECT count(*) FROM loads").fetchall()[0][0]:
        return None
    return load_demo(con)
