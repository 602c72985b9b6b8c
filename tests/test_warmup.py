"""The server's own first visit (dashboard_ui/warmup.py): start.sh and serve.sh warm each process in every language,
so the first person does not pay for its imports and first scorecard (issue 17's first-visit row)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard_ui import warmup
from deploy import serve
from metrics.core import i18n
from metrics.kpi.scorecard import latest_data_date
from metrics.platform import store
from metrics.platform.results import CODE_STAMP

from .conftest import copy_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("argv", "expected"), [
    (["--server.port", "8599"], (8599, "")),
    (["--server.headless", "true", "--server.port=8600", "--server.baseUrlPath", "/kpi"], (8600, "/kpi")),
    (["--server.baseUrlPath=kpi", "--server.port", "8601"], (8601, "kpi")),
])
def test_the_port_and_path_are_the_ones_streamlit_run_is_given(argv, expected):
    assert warmup.server_address(argv) == expected


def test_without_a_port_it_is_streamlits_default():
    assert warmup.server_address([])[0] == 8501  # .streamlit/config.toml sets none


def test_a_server_that_does_not_answer_is_said_never_raised():
    port = serve.free_port()  # nobody listens there
    started = time.monotonic()
    assert warmup.wait_healthy(port, limit_s=0.5) is False
    error = warmup.visit(port, timeout=2)
    assert error and "Error" in error  # a refused connection, in words
    assert time.monotonic() - started < 10


def test_start_sh_warms_in_the_background_before_the_server_starts():
    start = (ROOT / "scripts" / "start.sh").read_text()
    line = next(line for line in start.splitlines() if "dashboard_ui.warmup" in line)
    assert line.strip().startswith("(") and line.strip().endswith("& )")  # a subshell: never the server's child
    assert start.index("dashboard_ui.warmup") < start.index("-m streamlit run")


def _scorecard_pickle(db: Path, version: str, as_of, lang: str) -> Path:
    """Where metrics.platform.results keeps the overview's scorecard (dashboard_ui.state.scorecard's key)."""
    folder = hashlib.sha256(f"{CODE_STAMP}:{version}".encode()).hexdigest()[:16]
    name = hashlib.sha256(repr(("scorecard", as_of, lang, True)).encode()).hexdigest()[:32]
    return db.with_name(db.name + ".results") / folder / f"{name}.pickle"


@pytest.mark.slow  # a server
def test_the_warm_up_computes_the_overview_in_every_language_before_anyone_visits(demo_template, tmp_path):
    db = copy_demo(demo_template, tmp_path / "kpi.duckdb")
    con = store.connect(db, read_only=True)
    version, as_of = f"{db}#{store.data_version(con)}", latest_data_date(con)
    con.close()
    expected = [_scorecard_pickle(db, version, as_of, lang) for lang in i18n.LANGUAGES]
    port = serve.free_port()
    env = {**os.environ, "KPI_DB": str(db)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                               "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert warmup.wait_healthy(port, limit_s=60)
        assert [p.exists() for p in expected] == [False] * len(expected)  # nobody has visited yet
        done = subprocess.run([sys.executable, "-m", "dashboard_ui.warmup", "--server.port", str(port)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=180)
        assert (done.returncode, done.stderr) == (0, "")
        assert [p.exists() for p in expected] == [True] * len(expected)  # each language's scorecard, computed
    finally:
        server.terminate()
        server.wait(timeout=30)
