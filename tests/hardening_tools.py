"""What tests/test_hardening.py and tests/test_hardening_access.py share: the repository root, two small ledgers and the
command line run in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .ledgers import TEST_KEY

ROOT = Path(__file__).resolve().parent.parent

SESSIONS = "场次编号,培训日期,乡镇,培训主题,培训形式\nS1,2023-03-01,禾木,直播带货,线下\nS2,2023-06-01,禾木,网店运营,线下\n"
ATTENDANCE = "场次编号,学员编号\nS1,A\nS1,B\nS1,C\nS2,A\nS2,D\n"


def cli(db: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "KPI_HASH_KEY": TEST_KEY}
    return subprocess.run([sys.executable, "-m", "metrics", "--db", str(db), *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)
