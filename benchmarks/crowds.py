"""The crowd measurements: light clients (benchmarks.crowd) opening the overview against one Streamlit process or
several behind nginx (scripts/serve.sh), with caches warm (another viewer has drawn the page) or empty (a clerk has
just loaded a ledger: a new data version, so every shared result and every Streamlit cache misses at once), and
viewers browsing while a command-line load runs. Each is a task of `python -m benchmarks.measure`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.fixtures import subsidy_csv
from benchmarks.harness import peak_mb_of, streamlit_server
from metrics.core.config import PROJECT_ROOT

CACHES = ("warm", "empty")


def new_data_version(db: str) -> None:
    """What a clerk's upload does to the viewers: a small command-line load makes a new data version, so the next
    run of every page finds its caches empty. Waits until the dashboard has seen it (it reads the data version at
    most once in two seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = subsidy_csv(Path(tmp) / "new.csv", 5, first=90_000_000 + time.time_ns() % 1_000_000 * 10)
        subprocess.run([sys.executable, "-m", "metrics", "--db", db, "ingest", "logistics_subsidies", str(path)],
                       cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=True)
    time.sleep(2.5)


def crowd_one(script: str, db: str, viewers: str, window: str, caches: str = "warm") -> dict:
    """`viewers` light clients (benchmarks.crowd) opening the app within `window` seconds, after one viewer has
    warmed the caches (`caches` "empty": then a new data version first); and one viewer alone (median of five
    visits), to set beside Chromium's figure. `db` empty: a plain app (the floors)."""
    from benchmarks import crowd

    viewers, window = int(viewers), float(window)
    with streamlit_server(script, {"KPI_DB": db} if db else None, start_timeout=120) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        first = crowd.crowd(port, 1, window=0, timeout=300)
        alone = crowd.CrowdResult([crowd.crowd(port, 1, window=0, timeout=60).visits[0] for _ in range(5)])
        if caches == "empty" and db:
            new_data_version(db)
        many = crowd.crowd(port, viewers, window=window, timeout=120)
        return {"first_s": first.median(), "one_s": alone.median(), "median_s": many.median(),
                "p95_s": many.percentile(95), "errors": many.errors + first.errors + alone.errors,
                "error_kinds": sorted({v.error for v in many.visits if v.error})[:3],
                "maxrss_mb": peak_mb_of(server.pid)}


def served_peak_mb(served) -> float:
    """The served set's memory: the sum of each process's peak (Streamlit processes and nginx)."""
    return sum(peak_mb_of(p.pid) or 0.0 for p in served.processes)


def warm_each(served, timeout: float = 300) -> None:
    """One viewer per process, straight to its port, so every process has its caches warm (as _crowd's first)."""
    from benchmarks import crowd

    for port, _ in served.backends:
        crowd.crowd(port, 1, window=0, timeout=timeout)


def crowd_served(db: str, processes: str, viewers: str, window: str, caches: str = "warm") -> dict:
    """`viewers` light clients within `window` s through nginx to `processes` dashboard processes (deploy/serve.py,
    as scripts/serve.sh runs it), each process warmed first. A light client carries no cookie, so nginx hashes
    each one's request id: viewers spread over the processes as new browsers do. `caches` "empty": a new data
    version after the warming visits, so the crowd arrives right after a load."""
    from benchmarks import crowd
    from deploy import serve

    processes, viewers, window = int(processes), int(viewers), float(window)
    with serve.served(processes, env={"KPI_DB": db}) as served:
        warm_each(served)
        if caches == "empty":
            new_data_version(db)
        many = crowd.crowd(int(served.url.rsplit(":", 1)[1]), viewers, window=window, timeout=120)
        spread = {}
        for line in served.access_log():
            if "/_stcore/stream" in line and "upstream=" in line:
                backend = line.split("upstream=", 1)[1].split()[0]
                spread[backend] = spread.get(backend, 0) + 1
        return {"median_s": many.median(), "p95_s": many.percentile(95), "errors": many.errors,
                "error_kinds": sorted({v.error for v in many.visits if v.error})[:3],
                "spread": sorted(spread.values()), "maxrss_mb": served_peak_mb(served)}


def load_while_served(db: str, processes: str, viewers: str, idle_csv: str, busy_csv: str) -> dict:
    """A command-line load (read-write) into the database `processes` dashboard processes read (read-only): its
    time with nobody browsing, then with `viewers` light clients rerunning the overview through nginx meanwhile.
    The load waits for the readers' connections to close (store.connect retries up to 5 s); it must still land."""
    from benchmarks import crowd
    from deploy import serve

    def load(path: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "metrics", "--db", db, "ingest", "logistics_subsidies", path],
                              cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        return time.perf_counter() - t0, done.returncode

    with serve.served(int(processes), env={"KPI_DB": db}) as served:
        warm_each(served)
        idle_s, idle_rc = load(idle_csv)
        port = int(served.url.rsplit(":", 1)[1])
        result: dict = {}

        def loading() -> None:
            time.sleep(2)  # the viewers are browsing
            result["busy_s"], result["busy_rc"] = load(busy_csv)

        loader = threading.Thread(target=loading)
        loader.start()
        browsing = crowd.browse_while(port, int(viewers), lambda: loader.is_alive())
        loader.join()
        return {"idle_s": idle_s, "busy_s": result["busy_s"], "load_errors": (idle_rc != 0) + (result["busy_rc"] != 0),
                "viewer_errors": browsing.errors, "p95_s": browsing.percentile(95), "runs": len(browsing.visits),
                "maxrss_mb": served_peak_mb(served)}


def browse_during_load(db: str, csv_file: str, viewers: str) -> dict:
    """`viewers` light clients rerunning the overview for 6 s with the machine idle, then while a command-line
    load of `csv_file` into the same database runs: p95 of each, and errors."""
    from benchmarks import crowd

    with streamlit_server(PROJECT_ROOT / "dashboard.py", {"KPI_DB": db}, start_timeout=120) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        crowd.crowd(port, 1, window=0, timeout=300)  # caches warm
        until = time.monotonic() + 6
        idle = crowd.browse_while(port, int(viewers), lambda: time.monotonic() < until)
        load = subprocess.Popen([sys.executable, "-m", "metrics", "--db", db, "ingest", "logistics_subsidies",
                                 csv_file], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            busy = crowd.browse_while(port, int(viewers), lambda: load.poll() is None)
            load.wait(timeout=600)
        finally:
            if load.poll() is None:
                load.kill()
        return {"idle_p95_s": idle.percentile(95), "busy_p95_s": busy.percentile(95), "busy_runs": len(busy.visits),
                "errors": idle.errors + busy.errors, "load_ok": load.returncode == 0,
                "error_kinds": sorted({v.error for v in busy.visits if v.error})[:3],
                "maxrss_mb": peak_mb_of(server.pid)}


TASKS = {"crowd": crowd_one, "crowd_served": crowd_served, "load_while_served": load_while_served,
         "browse_during_load": browse_during_load}
