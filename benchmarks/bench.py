"""The benchmark: each figure measured beside its floor in the same run, printed as one table.

    python -m metrics bench [--scale N] [--rows N] [--xlsx-rows N]

Every measurement runs in a fresh subprocess, so its peak memory (ru_maxrss) is its own. Figures, not pass/fail:
benchmarks are not tests (CI runs a small smoke of this so it cannot rot).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from metrics.core.config import PROJECT_ROOT

TARGETS = {"csv": 3.0, "xlsx": 2.0, "scorecard_warm_ms": 100.0, "scorecard_growth": 10.0, "paint": 1.5,
           "memory_mb": 1024.0, "acceptance_s": 30.0, "crowd_p95_s": 3.0, "crowd_memory_mb": 1536.0, "busy_ratio": 2.0}
# Issue 17's page targets, in ms, by scale: a page's run with caches empty / warm, and an as-of or township switch.
PAGE_TARGETS_MS = {1: {"cold": 500, "warm": 150, "switch": 500}, 100: {"cold": 1000, "warm": 300, "switch": 1000}}
PAGES = ("overview", "training", "retail", "talent", "brands", "service", "budget")
SERVED_PROCESSES = (2, 3, 4)  # the crowd through nginx to this many dashboard processes (scripts/serve.sh)
SERVED_BROWSERS_PER_PROCESS = 5  # viewers browsing each process while a command-line load runs


# ------------------------------------------------------------------------------------------ test files

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


# -------------------------------------------------------------------------------------------- workers

def _worker(task: str, args: list[str]) -> dict:
    """One measurement, in this (fresh) process."""
    import datetime as dt

    import duckdb

    from metrics.load import ingest
    from metrics.platform import store

    if task in ("ingest", "load_dir"):
        store.connect(args[1]).close()  # the schema of a new database is made before the clock starts
    start = time.perf_counter()
    if task == "duckdb_csv":
        con = duckdb.connect(args[1])
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{args[0]}')")
        rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    elif task == "ingest":
        con = store.connect(args[1])
        result = ingest.ingest_paths(con, [Path(args[0])], "logistics_subsidies")
        assert result.committed, [e.as_text() for e in result.errors[:3]]
        rows = result.outcomes[0].added
    elif task == "calamine":
        from python_calamine import CalamineWorkbook

        rows = len(CalamineWorkbook.from_path(args[0]).get_sheet_by_index(0).to_python()) - 1
    elif task == "load_dir":
        con = store.connect(args[1])
        paths = sorted(Path(args[0]).glob("*.csv"))
        result = ingest.ingest_paths(con, paths)
        assert result.committed, [e.as_text() for e in result.errors[:3]]
        rows = sum(o.added for o in result.outcomes)
    elif task == "scorecard":
        from metrics.kpi.scorecard import scorecard

        con = store.connect(args[0], read_only=True)
        as_of = dt.date.fromisoformat(args[1])
        cold_start = time.perf_counter()
        scorecard(con, as_of)
        cold = time.perf_counter() - cold_start
        warm_runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            scorecard(con, as_of)
            warm_runs.append(time.perf_counter() - t0)
        return {"cold_s": cold, "warm_s": sorted(warm_runs)[2], "maxrss_mb": _maxrss_mb()}
    elif task == "acceptance":  # the three acceptance files, from reading the data to the last byte
        from metrics.outputs.acceptance import collect
        from metrics.outputs.acceptance_pack import build

        con = store.connect(args[0], read_only=True)
        data = collect(con, dt.date.fromisoformat(args[1]))
        con.close()
        rows = sum(len(content) for content in build(data).values())  # bytes written
    elif task == "browse":
        return _browse(args[0], args[1], args[2].split(","))
    elif task == "paint":
        return _paint(args[0], args[1] or None, int(args[2]))
    elif task == "region":
        return _region_worker(Path(args[0]), Path(args[1]))
    elif task == "apptest":
        return _apptest(args[0], args[1] if len(args) > 1 else None)
    elif task == "crowd":
        return _crowd(args[0], args[1] or None, int(args[2]), float(args[3]))
    elif task == "crowd_served":
        return _crowd_served(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif task == "load_while_served":
        return _load_while_served(args[0], int(args[1]), int(args[2]), args[3], args[4])
    elif task == "browse_during_load":
        return _browse_during_load(args[0], args[1], int(args[2]))
    elif task == "first_visit":
        return _first_visit(args[0], args[1])
    else:
        raise ValueError(task)
    return {"seconds": time.perf_counter() - start, "rows": rows, "maxrss_mb": _maxrss_mb()}


@contextlib.contextmanager
def streamlit_server(script: Path | str, env: dict | None = None, start_timeout: float = 60):
    """A Streamlit app served on a free port of 127.0.0.1 (the benchmark's and the browser tests' server); yields
    (base URL without a trailing slash, the server process)."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{script} did not start within {start_timeout:g} s") from None
                time.sleep(0.3)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _paint(script: str, db: str | None, loads: int = 9, count_first: bool = False) -> dict:
    """A page opened in headless Chromium on a running Streamlit server, as a leader would open it.

    first paint: navigation until the page's first element is on screen; complete: until the script has finished
    with content drawn. Each load is a new Streamlit session. "cold": a new browser profile each time (a first
    visit: Streamlit's widget code is fetched before the page shows anything); "warm": the same browser, whose
    cache already holds that code (a returning visitor). A first load warms the server and is not counted.
    Medians.
    """
    import shutil
    import statistics

    from playwright.sync_api import sync_playwright

    # Timed inside the page, from navigation start: the frame in which the main area's first element is laid out
    # with a size (a requestAnimationFrame callback runs just before that frame is painted), and the end of the
    # script run. Playwright's own polling is starved while the page renders charts, so it would time those too.
    observer = """
        window.__paint = {};
        new MutationObserver(() => {
          if (window.__paint.first) return;
          for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')) {
            const box = el.getBoundingClientRect();
            if (box.width > 0 && box.height > 0) {
              window.__paint.first = -1;
              requestAnimationFrame(() => { window.__paint.first = performance.now(); });
              return;
            }
          }
        }).observe(document, {subtree: true, childList: true, attributes: true});
    """

    def load(context, url: str) -> tuple[float, float]:
        page = context.new_page()
        page.add_init_script(observer)
        page.goto(url)
        page.wait_for_function("() => window.__paint && window.__paint.first > 0", timeout=120_000)
        page.wait_for_function(
            """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
                   && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')""",
            timeout=120_000)
        first, complete = page.evaluate("[window.__paint.first, performance.now()]")
        page.close()
        return first / 1000, complete / 1000

    with streamlit_server(script, {"KPI_DB": db} if db else None, start_timeout=120) as (url, server), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        cold = []
        for _ in range(loads + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            cold.append(load(context, url + "/"))
            context.close()
        warm = cold
        if not count_first:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            warm = [load(context, url + "/") for _ in range(loads + 1)]
            context.close()
        browser.close()
        server_mb = _peak_mb_of(server.pid)

    def median(runs, i):
        return statistics.median(r[i] for r in (runs if count_first else runs[1:]))

    return {"first_s": median(warm, 0), "complete_s": median(warm, 1), "first_cold_s": median(cold, 0),
            "complete_cold_s": median(cold, 1), "maxrss_mb": server_mb}


def _apptest(script: str, page: str | None) -> dict:
    """A page's script runs in AppTest: with caches empty (the first viewer after a load, on a server that has
    drawn pages before), warm (the same viewer again), and after switching the as-of date and (on a page with
    townships) the township. Modules are imported before the clock starts, as a running server has them. A non-overview page is reached from the overview
    (whose run is not counted), as a viewer reaches it."""
    import datetime as dt

    # Imported once by a server, not per run (streamlit.emojis: 0.5 s of regexes, imported by the sidebar's
    # segmented control at a server's first session).
    import streamlit.emojis  # noqa: F401
    from streamlit.testing.v1 import AppTest

    import dashboard_ui.ui  # noqa: F401
    import metrics.kpi.views  # noqa: F401

    def visit(settings: dict | None = None) -> tuple[float, AppTest]:
        # A new session each time: AppTest's own rerun of a session runs the page file alone, without the frame.
        at = AppTest.from_file(script, default_timeout=300)
        for key, value in (settings or {}).items():
            at.session_state[key] = value  # as the sidebar's widget sets it
        if page:
            at.run()
        t0 = time.perf_counter()
        (at.switch_page(page) if page else at).run()
        return time.perf_counter() - t0, at

    # A running server has drawn pages before the load this run follows: Plotly's validators, Streamlit's element
    # code and the first figure's templates are loaded once per process (0.3-0.7 s), not per load. One untimed visit
    # of the same page on a copy of the database (another path: none of its cached results are reused) puts this
    # process in that state, so "caches empty" is the first viewer after a load, not the server's first viewer.
    import os
    import shutil
    import tempfile

    db = os.environ.get("KPI_DB")
    if db:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["KPI_DB"] = str(shutil.copyfile(db, Path(tmp) / "warm-up.duckdb"))
            try:
                visit()
            finally:
                os.environ["KPI_DB"] = db
    cold, at = visit()
    error = bool(at.exception)
    as_of = at.session_state["as_of"] if "as_of" in at.session_state else dt.date.today()
    warm = [visit()[0] for _ in range(3)]
    switch_date, at = visit({"as_of": as_of - dt.timedelta(days=61)})
    error = error or bool(at.exception)
    switch_township = None
    if Path(script).name == "dashboard.py":  # the frame's township selectbox (Chinese UI)
        from metrics.core.config import default_config

        switch_township, at = visit({"township_zh": default_config().townships[0].name})
        error = error or bool(at.exception)
    return {"seconds": cold, "warm_s": sorted(warm)[1], "switch_date_s": switch_date,
            "switch_township_s": switch_township, "maxrss_mb": _maxrss_mb(), "error": error}


# Settled: a script run that started after the action has ended and every Plotly chart on the page has drawn its SVG.
# Runs are counted by an observer installed once per page load (_COUNT_RUNS): a fast page's run can start and end
# before a second script, attached after the action, would see it. Polled on each animation frame, timed from the
# action with the page's own clock (Playwright's polling is starved while charts render).
_COUNT_RUNS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__runsEnded = 0;
    new MutationObserver(records => {
        for (const r of records) if (r.oldValue === 'running') window.__runsEnded += 1;
    }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
_SETTLED = """([start, before]) => new Promise((resolve, reject) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const limit = start + 60000;
    const check = () => {
        const charts = document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]');
        const idle = app.dataset.testScriptState === 'notRunning';
        if (window.__runsEnded > before && idle && [...charts].every(c => c.querySelector('.main-svg'))) {
            resolve(performance.now() - start);
        } else if (performance.now() > limit) {
            reject(new Error('not settled in 60 s'));
        } else {
            requestAnimationFrame(check);
        }
    };
    requestAnimationFrame(check);
})"""


def _browse(script: str, db: str, pages: list[str], rounds: int = 3) -> dict:
    """A leader using the dashboard in headless Chromium (1440x900, one session): each page reached from the menu,
    the as-of date changed on the overview, the township changed on the training page; each timed from the click
    or the Enter key until the page has settled (_SETTLED). Medians over `rounds`; the first visit of each page
    is not counted (the server and the browser cache warm up on it)."""
    import shutil
    import statistics

    from playwright.sync_api import sync_playwright

    from dashboard_ui.navigation import url_path

    def settle(page, action) -> float:
        start, before = page.evaluate("[performance.now(), window.__runsEnded]")
        action()
        return page.evaluate(_SETTLED, [start, before]) / 1000

    times: dict[str, list[float]] = {}
    with streamlit_server(script, {"KPI_DB": db}, start_timeout=120) as (url, server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/")
        page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState
                                  === 'notRunning' && document.querySelector('[data-testid="stSidebarNav"]')""",
                               timeout=120_000)
        page.evaluate(_COUNT_RUNS)
        page.wait_for_timeout(1000)  # a run the first visit still has pending (a fragment) ends before timing starts

        def menu(name: str):  # a person's click on the menu entry, the sidebar scrolled to its top first (else its
            link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path(name)}"]').first  # header covers)

            def click():
                page.evaluate("document.querySelector('[data-testid=stSidebarContent]')?.scrollTo(0, 0)")
                link.click()
            return click

        current = "overview"
        for round_ in range(rounds + 1):
            for name in pages:
                if name == current:  # the menu entry of the page on screen starts no run: come from another page
                    settle(page, menu("definitions" if name != "definitions" else "schedule"))
                seconds = settle(page, menu(name))
                current = name
                if round_:
                    times.setdefault(f"page:{name}", []).append(seconds)
            # The as-of date on the overview, picked in the field's calendar as a person does (typed dates are
            # taken on Enter only in some cases, a Streamlit quirk): the 10th, then the 20th of the month shown.
            if current != "overview":
                settle(page, menu("overview"))
                current = "overview"
            day = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] [data-type="day"]').first
            for n in (9, 19):
                day.click()
                page.keyboard.press("Alt+ArrowDown")
                cell = page.locator('[data-testid="stDateInputCalendar"] [role="gridcell"]:not([aria-disabled="true"])')
                seconds = settle(page, cell.nth(n).click)
                if round_:
                    times.setdefault("as_of", []).append(seconds)
            # The township on the training page (a page with township charts), then the whole county again.
            settle(page, menu("training"))
            current = "training"
            select = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
            for choice in (1, 0):
                select.locator("input[role=combobox]").click()
                if not page.locator("[role=listbox]").count():
                    page.keyboard.press("ArrowDown")  # a click on a focused combobox may not open it
                option = page.locator("[role=listbox] [role=option]").nth(choice)
                seconds = settle(page, option.click)
                if round_:
                    times.setdefault("township", []).append(seconds)
        browser.close()
        server_mb = _peak_mb_of(server.pid)
    return {"medians": {k: statistics.median(v) for k, v in times.items()}, "maxrss_mb": server_mb}


def _crowd(script: str, db: str | None, viewers: int, window: float) -> dict:
    """`viewers` light clients (benchmarks.crowd) opening the app within `window` seconds, after one viewer has
    warmed the caches; and one viewer alone (median of five visits), to set beside Chromium's figure."""
    from benchmarks import crowd

    with streamlit_server(script, {"KPI_DB": db} if db else None, start_timeout=120) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        first = crowd.crowd(port, 1, window=0, timeout=300)
        alone = crowd.CrowdResult([crowd.crowd(port, 1, window=0, timeout=60).visits[0] for _ in range(5)])
        many = crowd.crowd(port, viewers, window=window, timeout=120)
        return {"first_s": first.median(), "one_s": alone.median(), "median_s": many.median(),
                "p95_s": many.percentile(95), "errors": many.errors + first.errors + alone.errors,
                "error_kinds": sorted({v.error for v in many.visits if v.error})[:3],
                "maxrss_mb": _peak_mb_of(server.pid)}


def _served_peak_mb(served) -> float:
    """The served set's memory: the sum of each process's peak (Streamlit processes and nginx)."""
    return sum(_peak_mb_of(p.pid) or 0.0 for p in served.processes)


def _warm_each(served, timeout: float = 300) -> None:
    """One viewer per process, straight to its port, so every process has its caches warm (as _crowd's first)."""
    from benchmarks import crowd

    for port, _ in served.backends:
        crowd.crowd(port, 1, window=0, timeout=timeout)


def _crowd_served(db: str, processes: int, viewers: int, window: float) -> dict:
    """`viewers` light clients within `window` s through nginx to `processes` dashboard processes (deploy/serve.py,
    as scripts/serve.sh runs it), each process warmed first. A light client carries no cookie, so nginx hashes
    each one's request id: viewers spread over the processes as new browsers do."""
    from benchmarks import crowd
    from deploy import serve

    with serve.served(processes, env={"KPI_DB": db}) as served:
        _warm_each(served)
        many = crowd.crowd(int(served.url.rsplit(":", 1)[1]), viewers, window=window, timeout=120)
        spread = {}
        for line in served.access_log():
            if "/_stcore/stream" in line and "upstream=" in line:
                backend = line.split("upstream=", 1)[1].split()[0]
                spread[backend] = spread.get(backend, 0) + 1
        return {"median_s": many.median(), "p95_s": many.percentile(95), "errors": many.errors,
                "error_kinds": sorted({v.error for v in many.visits if v.error})[:3],
                "spread": sorted(spread.values()), "maxrss_mb": _served_peak_mb(served)}


def _load_while_served(db: str, processes: int, viewers: int, idle_csv: str, busy_csv: str) -> dict:
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

    with serve.served(processes, env={"KPI_DB": db}) as served:
        _warm_each(served)
        idle_s, idle_rc = load(idle_csv)
        port = int(served.url.rsplit(":", 1)[1])
        result: dict = {}

        def loading() -> None:
            time.sleep(2)  # the viewers are browsing
            result["busy_s"], result["busy_rc"] = load(busy_csv)

        import threading

        loader = threading.Thread(target=loading)
        loader.start()
        browsing = crowd.browse_while(port, viewers, lambda: loader.is_alive())
        loader.join()
        return {"idle_s": idle_s, "busy_s": result["busy_s"], "load_errors": (idle_rc != 0) + (result["busy_rc"] != 0),
                "viewer_errors": browsing.errors, "p95_s": browsing.percentile(95), "runs": len(browsing.visits),
                "maxrss_mb": _served_peak_mb(served)}


def _browse_during_load(db: str, csv_file: str, viewers: int) -> dict:
    """`viewers` light clients rerunning the overview for 6 s with the machine idle, then while a command-line
    load of `csv_file` into the same database runs: p95 of each, and errors."""
    from benchmarks import crowd

    with streamlit_server(PROJECT_ROOT / "dashboard.py", {"KPI_DB": db}, start_timeout=120) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        crowd.crowd(port, 1, window=0, timeout=300)  # caches warm
        until = time.monotonic() + 6
        idle = crowd.browse_while(port, viewers, lambda: time.monotonic() < until)
        load = subprocess.Popen([sys.executable, "-m", "metrics", "--db", db, "ingest", "logistics_subsidies",
                                 csv_file], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            busy = crowd.browse_while(port, viewers, lambda: load.poll() is None)
            load.wait(timeout=600)
        finally:
            if load.poll() is None:
                load.kill()
        return {"idle_p95_s": idle.percentile(95), "busy_p95_s": busy.percentile(95), "busy_runs": len(busy.visits),
                "errors": idle.errors + busy.errors, "load_ok": load.returncode == 0,
                "error_kinds": sorted({v.error for v in busy.visits if v.error})[:3],
                "maxrss_mb": _peak_mb_of(server.pid)}


def _first_visit(script: str, db: str) -> dict:
    """The first visit after `scripts/start.sh`: its steps on a fresh database (`demo --if-empty`, then the server),
    then one new browser's first paint of the page, counted (not a warm-up). `db` empty: the empty app."""
    t0 = time.perf_counter()
    if db:
        Path(db).unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "metrics", "--db", db, "demo", "--if-empty"], cwd=PROJECT_ROOT,
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    prepare = time.perf_counter() - t0
    result = _paint(script, db or None, loads=0, count_first=True)
    return {**result, "prepare_s": prepare}


def _peak_mb_of(pid: int) -> float | None:
    """Peak resident memory of a running process (Linux), here the Streamlit server."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_task(task: str, *args: str, env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench", "--worker", task, *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{task} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ bench

def _alternate(repeat: int, ours: tuple, floor: tuple) -> tuple[dict, dict]:
    """Ours and the floor run turn about, `repeat` times each, so both see the same machine; the run with the
    median time of each (this machine's timings vary by a third from run to run)."""
    runs: dict[str, list[dict]] = {"ours": [], "floor": []}
    for _ in range(repeat):
        for name, task in (("ours", ours), ("floor", floor)):
            for db in task[2:]:
                Path(db).unlink(missing_ok=True)  # each load starts from an empty database
                Path(db + ".wal").unlink(missing_ok=True)
            runs[name].append(run_task(*task))
    pick = [sorted(r, key=lambda m: m["seconds"])[len(r) // 2] for r in (runs["ours"], runs["floor"])]
    return pick[0], pick[1]


def bench(scale: int = 100, rows: int = 1_000_000, xlsx_rows: int = 200_000, pages: bool = True,
          repeat: int = 3, viewers: int = 50, page_names: tuple[str, ...] = PAGES,
          processes: tuple[int, ...] = SERVED_PROCESSES) -> list[dict]:
    table = []

    def add(name, value, unit, floor=None, ratio=None, target=None, memory=None):
        table.append({"measure": name, "value": value, "unit": unit, "floor": floor, "ratio": ratio,
                      "target": target, "memory_mb": memory})

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for encoding in ("utf-8", "gbk"):
            csv_path = subsidy_csv(tmp / f"subsidies-{encoding}.csv", rows, encoding)
            floor_path = subsidy_csv(tmp / "utf8-floor.csv", rows)
            ours, floor = _alternate(repeat, ("ingest", str(csv_path), str(tmp / f"ours-{encoding}.duckdb")),
                                     ("duckdb_csv", str(floor_path), str(tmp / f"floor-{encoding}.duckdb")))
            add(f"CSV ingest, {rows:,} rows, {encoding.upper()}", rows / ours["seconds"], "rows/s",
                rows / floor["seconds"], ours["seconds"] / floor["seconds"], TARGETS["csv"], ours["maxrss_mb"])
        xlsx_path = subsidy_xlsx(tmp / "subsidies.xlsx", xlsx_rows)
        ours, floor = _alternate(repeat, ("ingest", str(xlsx_path), str(tmp / "ours-xlsx.duckdb")),
                                 ("calamine", str(xlsx_path)))
        add(f"XLSX ingest, {xlsx_rows:,} rows", xlsx_rows / ours["seconds"], "rows/s", xlsx_rows / floor["seconds"],
            ours["seconds"] / floor["seconds"], TARGETS["xlsx"], ours["maxrss_mb"])

        warm = {}
        for s in sorted({1, scale}):
            db = tmp / f"scale{s}.duckdb"
            loaded = run_task("load_dir", str(scaled_demo(s, tmp / f"scale{s}")), str(db))
            add(f"demo ledgers x{s}: load", loaded["rows"] / loaded["seconds"], "rows/s", None, None, None,
                loaded["maxrss_mb"])
            card = run_task("scorecard", str(db), "2024-12-31")
            warm[s] = card["warm_s"]
            add(f"scorecard x{s}, warm", card["warm_s"] * 1000, "ms", None, None,
                TARGETS["scorecard_warm_ms"] if s == 1 else None, card["maxrss_mb"])
            add(f"scorecard x{s}, cold", card["cold_s"] * 1000, "ms", None, None, None, card["maxrss_mb"])
            pack = run_task("acceptance", str(db), "2024-10-31")
            add(f"acceptance pack x{s} (3 files)", pack["seconds"], "s", None, None,
                TARGETS["acceptance_s"] if s == 1 else None, pack["maxrss_mb"])
            if pages:
                _page_rows(add, tmp, db, s, page_names)
                one_viewer, floor_p95 = _crowd_rows(add, tmp, db, s, viewers)
                _served_rows(add, tmp, db, s, viewers, processes, floor_p95, min(rows, 100_000))
                if s == scale and rows >= 100_000:  # a load long enough to browse during
                    busy = run_task("browse_during_load", str(db), str(tmp / "subsidies-utf-8.csv"), "5")
                    add(f"5 viewers during a {rows:,}-row load x{s}, p95", busy["busy_p95_s"] * 1000, "ms",
                        busy["idle_p95_s"] * 1000, busy["busy_p95_s"] / busy["idle_p95_s"], TARGETS["busy_ratio"],
                        busy["maxrss_mb"])
                    add(f"5 viewers during a load x{s}, errors", busy["errors"], "", None, None, 0.0)
            if pages and _can_paint():
                _browse_rows(add, db, s, page_names)
            if pages and s == 1 and _can_paint():
                empty = tmp / "empty_app.py"
                empty.write_text("import streamlit as st\nst.write('hello')\n")
                floor = run_task("first_visit", str(empty), "")
                ours = run_task("first_visit", str(PROJECT_ROOT / "dashboard.py"), str(tmp / "fresh.duckdb"))
                add("first visit after start.sh, first paint", ours["first_s"] * 1000, "ms", floor["first_s"] * 1000,
                    ours["first_s"] / floor["first_s"], TARGETS["paint"], ours["maxrss_mb"])
                add("start.sh's demo load before it listens", ours["prepare_s"] * 1000, "ms")
                empty.write_text("import streamlit as st\nst.write('hello')\n")
                loads = 3 * repeat  # page loads per kind of visit, medians kept
                floor = run_task("paint", str(empty), "", str(loads))
                ours = run_task("paint", str(PROJECT_ROOT / "dashboard.py"), str(db), str(loads))
                for label, first, complete in (("", "first_s", "complete_s"),
                                               (", 1st visit", "first_cold_s", "complete_cold_s")):
                    add(f"overview first paint x{s}{label}", ours[first] * 1000, "ms", floor[first] * 1000,
                        ours[first] / floor[first], TARGETS["paint"] if not label else None, ours["maxrss_mb"])
                    add(f"overview complete x{s}{label}", ours[complete] * 1000, "ms", floor[complete] * 1000,
                        ours[complete] / floor[complete], None, ours["maxrss_mb"])
                # The light client against Chromium for one viewer: its run's end vs the browser's (returning).
                add(f"one viewer x{s}: light client vs Chromium", one_viewer * 1000, "ms", ours["complete_s"] * 1000,
                    one_viewer / ours["complete_s"])
        if scale != 1:
            add(f"scorecard growth x1 -> x{scale}", warm[scale] / warm[1], "x", None, None, TARGETS["scorecard_growth"])
    return table


# ------------------------------------------------------------------------------- region view (issue 19)

REGION_COUNTIES = 1489  # demonstration counties nationally


def synthetic_region(directory: Path, counties: int, templates: int = 7) -> Path:
    """`counties` snapshots with their configurations: copies of a few small county databases (each with its own
    sessions, attendance, payments and 36 months of retail), made with plain SQL; copies keep the set-up quick."""
    import shutil

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
        target.with_suffix(".toml").write_text(
            config_text.replace('name_zh = "布尔津县"', f'name_zh = "示例县{i:04d}"', 1), encoding="utf-8")
    for path in made:
        path.unlink()
    return directory


def _region_worker(directory: Path, cache: Path) -> dict:
    """What the 地区汇总 page computes: every county read and scored, status counts, budget, every league table."""
    from metrics.core.registry import KPIS
    from metrics.outputs.region import read_region

    start = time.perf_counter()
    view = read_region(directory, cache_dir=cache)
    scored = time.perf_counter() - start
    view.status_counts()
    view.budget()
    for kpi in KPIS:
        view.league(kpi.id)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest scoring process
    return {"seconds": time.perf_counter() - start, "scored_s": scored, "counties": len(view.readable),
            "maxrss_mb": _maxrss_mb(), "child_mb": children}


def region_rows(counties: int = REGION_COUNTIES) -> list[dict]:
    """The region page's script at `counties` snapshots: the first read (every snapshot attached and scored), then
    a read with nothing changed (each county from the score cache), each in a fresh process."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = synthetic_region(Path(tmp) / "region", counties)
        for label in ("first read", "unchanged"):
            result = run_task("region", str(directory), str(Path(tmp) / "cache"))
            assert result["counties"] == counties, result
            # Peak MB: this process, plus each scoring process's when the snapshots were shared among them.
            memory = result["maxrss_mb"] + min(os.cpu_count() or 1, 8) * result["child_mb"]
            rows.append({"measure": f"region view, {counties:,} counties, {label}", "value": result["seconds"],
                         "unit": "s", "floor": None, "ratio": None, "target": None, "memory_mb": memory})
    return rows


def _page_rows(add, tmp: Path, db: Path, s: int, page_names: tuple[str, ...] = PAGES) -> None:
    """Each page's script in AppTest (caches empty, warm, as-of and township switches) beside an empty app's, then
    the slowest page of each kind against issue 17's targets."""
    empty = tmp / "empty_app.py"
    empty.write_text("import streamlit as st\nst.write('')\nst.sidebar.date_input('d', key='as_of')\n")
    floor = run_task("apptest", str(empty))
    targets = PAGE_TARGETS_MS.get(s, PAGE_TARGETS_MS[100])
    worst: dict[str, tuple[float, str]] = {}
    for page in page_names:
        target_page = [] if page == "overview" else [f"pages/{page}.py"]
        result = run_task("apptest", str(PROJECT_ROOT / "dashboard.py"), *target_page, env={"KPI_DB": str(db)})
        for kind, key, label in (("cold", "seconds", ""), ("warm", "warm_s", ", warm"),
                                 ("switch", "switch_date_s", ", as-of switch"),
                                 ("switch", "switch_township_s", ", township switch")):
            if result.get(key) is None:
                continue
            base = floor["warm_s" if kind != "cold" else "seconds"]
            add(f"page {page} x{s} (AppTest){label}", result[key] * 1000, "ms", base * 1000, result[key] / base,
                None, result["maxrss_mb"])
            if result[key] > worst.get(kind, (0, ""))[0]:
                worst[kind] = (result[key], page)
        if result["error"]:
            add(f"page {page} x{s}: an exception was shown", 1, "", None, None, 0.0)
    for kind, label in (("cold", "caches empty"), ("warm", "warm"), ("switch", "as-of/township switch")):
        seconds, page = worst[kind]
        add(f"slowest page x{s}, {label} ({page})", seconds * 1000, "ms", None, None, targets[kind])


BROWSE_TARGETS_MS = {1: {"page": 600, "switch": 500}, 100: {"page": 1200, "switch": 1000}}


def _browse_rows(add, db: Path, s: int, page_names: tuple[str, ...] = PAGES) -> None:
    """Page changes, as-of and township switches in Chromium, until the page has settled (issue 17's targets)."""
    result = run_task("browse", str(PROJECT_ROOT / "dashboard.py"), str(db), ",".join(page_names))
    targets = BROWSE_TARGETS_MS.get(s, BROWSE_TARGETS_MS[100])
    medians = result["medians"]
    for page in page_names:
        add(f"page change in Chromium x{s}: {page}", medians[f"page:{page}"] * 1000, "ms", None, None, None,
            result["maxrss_mb"])
    slowest = max(page_names, key=lambda page: medians[f"page:{page}"])
    add(f"page change in Chromium x{s}, slowest ({slowest})", medians[f"page:{slowest}"] * 1000, "ms", None, None,
        targets["page"])
    add(f"as-of switch in Chromium x{s} (overview)", medians["as_of"] * 1000, "ms", None, None, targets["switch"])
    add(f"township switch in Chromium x{s} (training)", medians["township"] * 1000, "ms", None, None,
        targets["switch"])


def _crowd_rows(add, tmp: Path, db: Path, s: int, viewers: int) -> float:
    """`viewers` light clients opening the overview within 5 s, beside the same crowd on an empty app; returns one
    viewer's time alone."""
    empty = tmp / "empty_app.py"
    empty.write_text("import streamlit as st\nst.write('hello')\n")
    floor = run_task("crowd", str(empty), "", str(viewers), "5")
    ours = run_task("crowd", str(PROJECT_ROOT / "dashboard.py"), str(db), str(viewers), "5")
    add(f"{viewers} viewers within 5 s x{s}, p95", ours["p95_s"] * 1000, "ms", floor["p95_s"] * 1000,
        ours["p95_s"] / floor["p95_s"], TARGETS["crowd_p95_s"] * 1000, ours["maxrss_mb"])
    add(f"{viewers} viewers within 5 s x{s}, median", ours["median_s"] * 1000, "ms", floor["median_s"] * 1000,
        ours["median_s"] / floor["median_s"], None, ours["maxrss_mb"])
    add(f"{viewers} viewers x{s}, errors", ours["errors"], "", None, None, 0.0)
    add(f"one viewer alone x{s} (light client)", ours["one_s"] * 1000, "ms", floor["one_s"] * 1000,
        ours["one_s"] / floor["one_s"], None, ours["maxrss_mb"])
    return ours["one_s"], floor["p95_s"]


def _served_rows(add, tmp: Path, db: Path, s: int, viewers: int, processes: tuple[int, ...], floor_p95: float,
                 load_rows: int) -> None:
    """The same crowd through nginx to N dashboard processes (beside the same empty-app floor as the one-process
    rows above; memory: the sum over the processes), and a command-line load while viewers browse the largest N."""
    if not processes:
        return
    from deploy import serve

    if serve.nginx_binary() is None or os.environ.get("KPI_SKIP_NGINX") == "1":
        add(f"{viewers} viewers x{s} behind nginx: skipped (nginx not installed or KPI_SKIP_NGINX=1)", 0, "",
            None, None, None)
        return
    for n in processes:
        ours = run_task("crowd_served", str(db), str(n), str(viewers), "5")
        add(f"{viewers} viewers within 5 s x{s}, {n} processes, p95", ours["p95_s"] * 1000, "ms", floor_p95 * 1000,
            ours["p95_s"] / floor_p95, TARGETS["crowd_p95_s"] * 1000, ours["maxrss_mb"])
        add(f"{viewers} viewers within 5 s x{s}, {n} processes, median", ours["median_s"] * 1000, "ms",
            None, None, None, ours["maxrss_mb"])
        add(f"{viewers} viewers x{s}, {n} processes, errors", ours["errors"], "", None, None, 0.0)
    n = max(processes)
    idle_csv = subsidy_csv(tmp / "served-idle.csv", load_rows, first=50_000_000)
    busy_csv = subsidy_csv(tmp / "served-busy.csv", load_rows, first=60_000_000)
    copy = tmp / f"served-x{s}.duckdb"  # the loads change the database: a copy, so later rows read the same data
    _copy_database(db, copy)
    browsers = n * SERVED_BROWSERS_PER_PROCESS
    busy = run_task("load_while_served", str(copy), str(n), str(browsers), str(idle_csv), str(busy_csv))
    add(f"CLI load {load_rows:,} rows, {browsers} viewers on {n} processes x{s}", busy["busy_s"] * 1000, "ms",
        busy["idle_s"] * 1000, busy["busy_s"] / busy["idle_s"], None, busy["maxrss_mb"])
    add(f"CLI load, {n} processes serving x{s}: refusals+errors",
        busy["load_errors"] + busy["viewer_errors"], "", None, None, 0.0)


def _copy_database(source: Path, target: Path) -> None:
    import shutil

    from metrics.platform import store

    store.connect(source).execute("CHECKPOINT").close()  # everything in the file itself, not its WAL
    shutil.copyfile(source, target)


def _can_paint() -> bool:
    """Chromium and Playwright (a development requirement) are there to measure a first paint."""
    import importlib.util
    import shutil

    return bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists()) and \
        importlib.util.find_spec("playwright") is not None


def render(table: list[dict]) -> str:
    head = f"{'measure':<52} {'value':>14} {'unit':<7} {'floor':>14} {'ratio':>7} {'target':>8} {'peak MB':>8}"
    lines = [head, "-" * len(head)]
    for row in table:
        fmt = (lambda v: "" if v is None else f"{v:,.1f}")  # noqa: E731
        target = "" if row["target"] is None else f"≤{row['target']:g}"
        lines.append(f"{row['measure']:<52} {fmt(row['value']):>14} {row['unit']:<7} {fmt(row['floor']):>14} "
                     f"{fmt(row['ratio']):>7} {target:>8} {fmt(row['memory_mb']):>8}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse

    if argv and argv[0] == "--worker":
        print(json.dumps(_worker(argv[1], argv[2:]), default=str))
        return 0
    parser = argparse.ArgumentParser(prog="python -m metrics bench")
    parser.add_argument("--scale", type=int, default=100, choices=range(1, 101), metavar="1..100")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--region-counties", type=int, default=REGION_COUNTIES,
                        help="synthetic county snapshots for the region view row (0: skip it)")
    parser.add_argument("--viewers", type=int, default=50, choices=range(1, 201), metavar="1..200",
                        help="light clients opening the overview within 5 s")
    parser.add_argument("--processes", default=",".join(map(str, SERVED_PROCESSES)),
                        help="dashboard processes behind nginx for the served crowd rows, e.g. 2,3,4 (0: none)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each ingest and its floor, and 3x as many page loads (medians kept)")
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    served = tuple(n for n in (int(x) for x in args.processes.split(",") if x.strip()) if n > 0)
    table = bench(args.scale, args.rows, args.xlsx_rows, not args.no_pages, args.repeat, args.viewers,
                  processes=served)
    if args.region_counties:
        table += region_rows(args.region_counties)
    print(render(table), flush=True)
    # Timings are only comparable on a quiet machine: say how busy it was.
    print(f"load average (1 min) at start {before:.1f}, at end {os.getloadavg()[0]:.1f}, on {os.cpu_count()} CPUs",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
