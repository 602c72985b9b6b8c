"""The measurements, each in the fresh process harness.run_task starts (`python -m benchmarks.measure TASK ARGS`
prints one JSON line): loads and their DuckDB floor, scorecards, the acceptance pack, first paint and page switches
in Chromium, AppTest runs, crowds of light clients against one process or several behind nginx, the region."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import crowds
from benchmarks.harness import maxrss_mb, peak_mb_of, streamlit_server
from metrics.core.config import PROJECT_ROOT


def worker(task: str, args: list[str]) -> dict:
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
        return {"cold_s": cold, "warm_s": sorted(warm_runs)[2], "maxrss_mb": maxrss_mb()}
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
    elif task == "fast_tests":
        return _fast_tests()
    elif task in crowds.TASKS:
        return crowds.TASKS[task](*args)
    elif task == "first_visit":
        return _first_visit(args[0], args[1])
    else:
        raise ValueError(task)
    return {"seconds": time.perf_counter() - start, "rows": rows, "maxrss_mb": maxrss_mb()}


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
        if count_first:  # as scripts/start.sh: the server's own warm-up visit first (the empty app's too)
            from dashboard_ui import warmup

            warmup.report(warmup.warm(int(url.rsplit(":", 1)[1].strip("/"))))
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
        server_mb = peak_mb_of(server.pid)

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

    import dashboard_ui.kpi_card  # noqa: F401  (with it dashboard_ui.ui and dashboard_ui.tables)
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
    import shutil

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
            "switch_township_s": switch_township, "maxrss_mb": maxrss_mb(), "error": error}


# Settled: a script run that started after the action has ended and every Plotly chart on the page has drawn its SVG.
# Runs are counted by an observer installed once per page load (_COUNT_RUNS): a fast page's run can start and end
# before a second script, attached after the action, would see it. Polled on each animation frame, timed from the
# action with the page's own clock (Playwright's polling is starved while charts render).
_COUNT_RUNS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__runsEnded = 0;
    window.__stateChanges = 0;
    window.__mainChangedAt = 0;
    new MutationObserver(records => {
        window.__stateChanges += records.length;
        for (const r of records) if (r.oldValue === 'running') window.__runsEnded += 1;
    }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
    // The main area's last change: the widget chosen in the sidebar or its list (a portal) changes at once, the main
    // area only when a run has drawn it anew.
    new MutationObserver(records => {
        const main = document.querySelector('[data-testid="stMain"]');
        if (main && records.some(r => main.contains(r.target))) window.__mainChangedAt = performance.now();
    }).observe(app, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


# A page change also settles when the address is the new page's and the main heading is no longer the one shown at
# the click: a run of a page whose results are all cached can start and end between two frames, and the frontend then
# never shows the 'running' state the run counter watches (about one walk in four failed on it, "not settled").
# A switch (as-of date, township: no new address) likewise settles when its run redrew the main area and the area
# has been still for 250 ms, timed to its last change: with every result cached (the run's database reads now share
# one connection) such a run too can pass unseen between two frames; the bench's walk failed 'no run' on it.
# An action that started no run at all within 5 s (a click the widget did not take) is refused as 'no run', and done
# again once by the caller; a run that starts and never ends still fails after 60 s.
_SETTLED = """([start, before, path, heading]) => new Promise((resolve, reject) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const limit = start + 60000;
    const changes = window.__stateChanges;
    const arrived = () => path !== null && location.pathname.replace(/\\/$/, '') === path.replace(/\\/$/, '')
        && (document.querySelector('[data-testid="stMain"] h1')?.innerText ?? null) !== heading;
    const redrawn = () => path === null && window.__mainChangedAt > start
        && performance.now() - window.__mainChangedAt > 250;
    const check = () => {
        const charts = document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]');
        const idle = app.dataset.testScriptState === 'notRunning';
        const drawn = [...charts].every(c => c.querySelector('.main-svg'));
        if ((window.__runsEnded > before || arrived()) && idle && drawn) {
            resolve(performance.now() - start);
        } else if (redrawn() && idle && drawn) {
            resolve(window.__mainChangedAt - start);
        } else if (performance.now() > limit) {
            reject(new Error('not settled in 60 s'));
        } else if (window.__stateChanges === changes && !arrived() && window.__mainChangedAt <= start
                   && performance.now() > start + 5000) {
            reject(new Error('no run'));
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

    def settle(page, action, path: str | None = None, again: bool = True) -> float:
        """`path`: the address of the page the action opens (a menu click), else None. An action that started no
        run is done once more (`action` does the whole gesture: opening a list, then choosing)."""
        start, before, heading = page.evaluate(
            "[performance.now(), window.__runsEnded, "
            "document.querySelector('[data-testid=\"stMain\"] h1')?.innerText ?? null]")
        action()
        try:
            return page.evaluate(_SETTLED, [start, before, path, heading]) / 1000
        except Exception as exc:
            if not again or "no run" not in str(exc):
                raise
            page.keyboard.press("Escape")
            return settle(page, action, path, again=False)

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

        def go(name: str) -> float:
            return settle(page, menu(name), "/" + url_path(name))

        current = "overview"
        for round_ in range(rounds + 1):
            for name in pages:
                if name == current:  # the menu entry of the page on screen starts no run: come from another page
                    go("definitions" if name != "definitions" else "schedule")
                seconds = go(name)
                current = name
                if round_:
                    times.setdefault(f"page:{name}", []).append(seconds)
            # The as-of date on the overview, picked in the field's calendar as a person does (typed dates are
            # taken on Enter only in some cases, a Streamlit quirk): the 10th, then the 20th of the month shown.
            if current != "overview":
                go("overview")
                current = "overview"
            day = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] [data-type="day"]').first
            for n in (9, 19):
                def pick_day(n=n, day=day):
                    day.click()
                    page.keyboard.press("Alt+ArrowDown")
                    page.locator('[data-testid="stDateInputCalendar"] [role="gridcell"]:not([aria-disabled="true"])'
                                 ).nth(n).click()
                seconds = settle(page, pick_day)
                if round_:
                    times.setdefault("as_of", []).append(seconds)
            # The township on the training page (a page with township charts), then the whole county again.
            go("training")
            current = "training"
            select = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
            for choice in (1, 0):
                def choose(choice=choice, select=select):
                    select.locator("input[role=combobox]").click()
                    if not page.locator("[role=listbox]").count():
                        page.keyboard.press("ArrowDown")  # a click on a focused combobox may not open it
                    page.locator("[role=listbox] [role=option]").nth(choice).click()
                seconds = settle(page, choose)
                if round_:
                    times.setdefault("township", []).append(seconds)
        browser.close()
        server_mb = peak_mb_of(server.pid)
    return {"medians": {k: statistics.median(v) for k, v in times.items()}, "maxrss_mb": server_mb}


def _fast_tests() -> dict:
    """The fast part of README's test command (pytest on two workers, `-m "not slow"`, as scripts/test.sh runs it
    after installing), timed whole: what a developer waits for before each commit."""
    import re

    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-m", "not slow"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
    # The summary line ("1029 passed, 1 skipped in 95.1s"; the project's addopts are -q, and -q -q prints none).
    tail = next((line for line in reversed(done.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)), "")
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?)", tail)}
    return {"seconds": time.perf_counter() - t0, "passed": counts.get("passed", 0),
            "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0), "tail": tail}


def _first_visit(script: str, db: str) -> dict:
    """The first visit after `scripts/start.sh`: its steps on a fresh database (`demo --if-empty`, the server and
    the server's own warm-up visit, dashboard_ui/warmup.py), then one new browser's first paint of the page,
    counted. `db` empty: the empty app, warmed the same way."""
    t0 = time.perf_counter()
    if db:
        Path(db).unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "metrics", "--db", db, "demo", "--if-empty"], cwd=PROJECT_ROOT,
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    prepare = time.perf_counter() - t0
    result = _paint(script, db or None, loads=0, count_first=True)
    return {**result, "prepare_s": prepare}


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
            "maxrss_mb": maxrss_mb(), "child_mb": children}



if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], sys.argv[2:]), default=str))
