"""The demo ledgers (data/demo/, made by data/demo/generate.py), loaded through the ordinary ingest path, and the
demo region: seven county snapshots made from them for the region view (地区汇总).

Loads are marked is_demo so every page can label the data 演示数据.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from metrics.core.config import DEFAULT_CONFIG, PROJECT_ROOT
from metrics.core.datasets import DATASETS
from metrics.load.ingest import BatchResult, ingest_paths
from metrics.platform import store

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


# ------------------------------------------------------------------------------------------------- the demo region

# Seven counties of Altay Prefecture, each with its own variation of the demo ledgers (演示数据, not their figures):
# (file stem, 中文, English, share of ledger rows kept %, retail scale, spending scale, person-times target).
DEMO_COUNTIES = (
    ("burqin", "布尔津县", "Burqin County", 100, 1.00, 1.00, 4000),
    ("altay", "阿勒泰市", "Altay City", 90, 1.35, 0.95, 6000),
    ("habahe", "哈巴河县", "Habahe County", 80, 0.90, 0.80, 3500),
    ("jeminay", "吉木乃县", "Jeminay County", 55, 0.70, 0.60, 2500),
    ("fuhai", "福海县", "Fuhai County", 75, 1.10, 0.90, 4000),
    ("fuyun", "富蕴县", "Fuyun County", 65, 0.95, 0.70, 3000),
    ("qinghe", "青河县", "Qinghe County", 45, 0.80, 0.50, 2500),
)
_KEEP_ALL = {"training_sessions", "milestones", "online_retail", "expenditures"}  # scaled or kept whole


def demo_needs_writing(directory: Path | str) -> bool:
    """True when the folder is missing, or holds only the demo counties and they were written by a dashboard of
    another schema version (an upgrade: their snapshots would all be listed as unreadable). A folder holding any
    other county's snapshot is the county's own and is never rewritten."""
    directory = Path(directory)
    if not directory.exists():
        return True
    snapshots = sorted(directory.glob("*.duckdb"))
    demo_stems = {stem for stem, *_ in DEMO_COUNTIES}
    if not snapshots or any(path.stem not in demo_stems for path in snapshots):
        return False
    for path in snapshots:
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            return False
        try:
            version = store.structure_version(con)
        finally:
            con.close()
        if version != store.STRUCTURE_VERSION:
            return True
    return False


def write_demo(directory: Path | str, loaded: Path | str | None = None) -> list[Path]:
    """Seven county snapshots and their configurations, made from the demo ledgers loaded once and then thinned
    and scaled per county (the loads stay marked as demo, so every view says 演示数据).

    `loaded`: a database file holding just the demo ledgers, as load_demo leaves a new database (closed, never
    written here), copied instead of loading the ledgers again (~2 s): the tests keep one."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    base_text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        if loaded is not None:
            shutil.copyfile(loaded, base)
        else:
            con = store.connect(base)
            try:
                result = load_demo(con)
                if not result.committed:
                    raise RuntimeError("the demo ledgers did not load")
                con.execute("CHECKPOINT")
            finally:
                con.close()
        for stem, zh, en, keep, retail, spending, person_times in DEMO_COUNTIES:
            target = directory / f"{stem}.duckdb"
            shutil.copyfile(base, target)
            con = duckdb.connect(str(target))
            try:
                for name in DATASETS:
                    if name not in _KEEP_ALL:
                        con.execute(f'DELETE FROM "{name}" WHERE hash(_source_row::VARCHAR || ?) % 100 >= ?',
                                    [stem, keep])
                # Scaled after the baseline year only, so growth differs from county to county.
                con.execute("UPDATE online_retail SET total = total * ?, agri = agri * ? WHERE year(month) > 2021",
                            [retail, retail])
                # Later payments are the ones a slower county has not made yet.
                con.execute("DELETE FROM expenditures WHERE voucher NOT IN (SELECT voucher FROM expenditures "
                            "ORDER BY date LIMIT (SELECT round(count(*) * ?) FROM expenditures))", [spending])
                store.bump_data_version(con)  # the ledgers changed: so do the tables derived from them
                con.execute("CHECKPOINT")
            finally:
                con.close()
            text = base_text.replace('name_zh = "布尔津县"', f'name_zh = "{zh}"', 1)
            text = text.replace('name_en = "Burqin County"', f'name_en = "{en}"', 1)
            text = text.replace("[targets.training_person_times]\nmin = 4000",
                                f"[targets.training_person_times]\nmin = {person_times}", 1)
            target.with_suffix(".toml").write_text(text, encoding="utf-8")
            written.append(target)
    return written
