"""The region page's data: the county snapshots of one folder, read by metrics.outputs.region and cached (issue 19).

The cache key includes every snapshot's name, size and modification time, so a snapshot replaced in the folder is
read again, and nothing else is.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import streamlit as st

from metrics.core.config import PROJECT_ROOT
from metrics.outputs.region import Region, default_cache_dir, read_region

DEFAULT_REGION_DIR = PROJECT_ROOT / "data" / "region"


def region_dir() -> Path:
    return Path(os.environ.get("KPI_REGION_DIR") or DEFAULT_REGION_DIR)


def _signature(directory: Path) -> tuple:
    """What the folder holds, cheaply: each snapshot's and configuration's name, size and modification time (of the
    file a symlink points to; a dangling symlink or a file gone meanwhile counts by its own entry, never raises)."""
    if not directory.is_dir():
        return ()
    entries = []
    for p in sorted(directory.iterdir()):
        if p.suffix not in (".duckdb", ".toml"):
            continue
        try:
            stat = p.stat() if p.exists() else p.lstat()
        except OSError:  # removed between the listing and now
            continue
        entries.append((p.name, stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


@st.cache_data(show_spinner=False, max_entries=8)
def _read(directory: str, lang: str, signature: tuple, as_of: dt.date | None) -> Region:
    return read_region(Path(directory), as_of, lang, default_cache_dir())


def region(lang: str, as_of: dt.date | None = None) -> Region:
    """The folder's counties scored as of `as_of` (None: the earliest of their latest data dates)."""
    directory = region_dir()
    return _read(str(directory), lang, _signature(directory), as_of)
