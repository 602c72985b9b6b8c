"""What every page shares: the database connection, the cache, and the frame (language, as-of date, township).

DuckDB lets one process write a file, or many processes read it, so the dashboard never keeps the file open for
long: a page run's reads share a connection closed when the run ends, and a command-line load that finds the file
taken asks for its turn (metrics/platform/writer_turn.py), which every reader gives at its next read. Everything that only reads opens the file
read-only (`reading()`), so several dashboard processes behind nginx (deploy/serve.py) read at once; only a
change (a load, an undo, evidence, roles: `connection()`) opens it for writing. Query results are cached by
st.cache_data, keyed by the arguments and the data version, which every load and undo changes, so a page shows
new data at once; behind it, each result is computed once per data version for every session and process
(`shared`, metrics.platform.results), so a crowd arriving after a load does not compute it fifty times.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard_ui import held_reader
from metrics.core import i18n
from metrics.core.config import ConfigError, default_config
from metrics.core.locales import SOURCE_LANGUAGE
from metrics.kpi import scorecard as scorecard_module
from metrics.kpi import views
from metrics.platform import store
from metrics.platform.results import SharedResults


@dataclass(frozen=True)
class Frame:
    lang: str
    as_of: dt.date
    township: str | None
    version: str  # the cache key of the data: database path and data version
    demo: bool


@contextmanager
def connection():
    """A connection that may write, for a change made on a page (load, undo, evidence, roles). Reading needs none:
    use reading(), which other processes can share."""
    held_reader.hold().release()  # this run's own read connection would keep the writer out for good
    con = store.connect(db_path(), retries=10)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def reading(retries: float = 10, path: str | None = None):
    """A read-only connection: any number of dashboard processes hold these at once; a writer (a load from the
    command line or another process) waits for them to close, and they for it (up to `retries` seconds). Within a
    page run the reads share one connection (dashboard_ui/held_reader.py); outside one, each opens its own."""
    path = path or str(db_path())
    hold = held_reader.hold()
    with (hold.cursor(path, retries) if hold.active else held_reader.opened(path, retries)) as con:
        yield con


page_run = held_reader.page_run  # dashboard.py wraps each run of the app in it


@st.cache_resource(show_spinner=False)
def ensure_database(path: str) -> bool:
    """Create the database and load the demo ledgers when nothing was ever loaded. scripts/start.sh has done this
    before the server listens (so the first visit does not wait for it); this covers `streamlit run` by hand.
    Looked at read-only first: with several processes serving (scripts/serve.sh), each one's first visit would
    otherwise take the file for writing while the others read."""
    if Path(path).exists():
        with reading() as con:
            if store.schema_current(con) and store.one(con, "SELECT count(*) FROM loads")[0]:
                return True  # nothing to create, migrate or load
    # Imported here: the demo brings the whole loader (ingest, validation, forms), a fifth of a server's first visit
    # when every page imported it, and is needed only on a database never loaded into.
    from metrics.demo import load_demo_if_empty

    with connection() as con:
        load_demo_if_empty(con)
    return True


def db_path():
    """The database file this server reads (KPI_DB, else data/kpi.duckdb)."""
    return store.default_db_path()


def data_version() -> tuple[str, bool]:
    """The key every cached query carries: it changes with each load or undo, and differs between database files.

    While a command-line load holds the file (DuckDB: one writing process at a time), the version last read is
    kept: the load has not committed, so the data it names is still the current data, and its cached pages show at
    once instead of every viewer waiting for the load to end (issue 17: viewers browsing during a 1M-row load)."""
    path = str(db_path())
    try:
        version = _data_version(path)
    except store.StoreBusy:
        if path not in _last_version:
            raise
        return _last_version[path]
    _last_version[path] = version
    return version


_last_version: dict[str, tuple[str, bool]] = {}  # per database file, shared by every session of this server


# Opening the database costs 25-150 ms on this machine, before anything is on screen. Every run of every session
# asked; now one run in two seconds does. A load or undo in this app calls data_changed(), so its own result shows
# at once; a load from the command line shows within two seconds.
@st.cache_data(ttl=2, show_spinner=False, max_entries=4)
def _data_version(path: str) -> tuple[str, bool]:
    with reading(retries=0, path=path) as con:  # busy: raise at once (data_version keeps the last)
        return f"{path}#{store.data_version(con)}", store.demo_loaded(con)


def data_changed() -> None:
    """The data changed here: the next run reads the new data version."""
    _data_version.clear()


@st.cache_resource(show_spinner=False)
def _shared_results(path: str) -> SharedResults:
    return SharedResults(Path(path).with_name(Path(path).name + ".results"))


def shared(version: str, key: tuple, read):
    """`read(con)` on a read-only connection, computed once per data version for every session and every serving
    process (metrics.platform.results: the others wait for the first instead of computing it too). Streamlit's
    caches in front keep each process's copy; a visitor's clear_cache empties those, never this store."""
    def compute():
        with reading() as con:
            return read(con)

    return _shared_results(str(db_path())).get(version, key, compute)


@st.cache_data(show_spinner=False, max_entries=64)
def latest_data_date(version: str) -> dt.date:
    return shared(version, ("latest_data_date",), scorecard_module.latest_data_date)


@st.cache_data(show_spinner=False, max_entries=256)
def scorecard(as_of: dt.date, lang: str, version: str, with_forecast: bool = True) -> list:
    """with_forecast=False for a date only compared with (its forecasts are a third of the queries, unused)."""
    return shared(version, ("scorecard", as_of, lang, with_forecast),
                  lambda con: scorecard_module.scorecard(con, as_of, lang=lang, with_forecast=with_forecast))


@st.cache_data(show_spinner=False, max_entries=256)
def history(kpi_id: str, as_of: dt.date, version: str) -> list[dict]:
    return shared(version, ("history", kpi_id, as_of), lambda con: scorecard_module.history(con, kpi_id, as_of))


def view(function, version: str, *args):
    """A function of metrics.kpi.views, passed itself (so a reader or a tool sees which page uses which view), called
    with a fresh connection and cached by its arguments and the data version."""
    if getattr(views, function.__name__, None) is not function:
        raise ValueError(f"{function.__name__} is not a function of metrics.kpi.views")
    return _view(function.__name__, version, *args)


@st.cache_data(show_spinner=False, max_entries=1024)
def _view(name: str, version: str, *args):
    return shared(version, ("view", name, *args), lambda con: getattr(views, name)(con, *args))


@st.cache_data(show_spinner=False, max_entries=8)
def acceptance_preview(as_of: dt.date | None, lang: str, version: str):
    """What the acceptance pack shows at as-of (metrics.outputs.acceptance.collect), without the evidence files' bytes."""
    from metrics.outputs.acceptance import collect

    with reading() as con:
        return collect(con, as_of, lang, contents=False)


@st.cache_data(show_spinner=False, max_entries=4)
def acceptance_default_date(version: str) -> tuple[dt.date, str]:
    """The acceptance pack's own default date and its reason (metrics.outputs.pack_dates), not the sidebar's."""
    from metrics.outputs.pack_dates import default_pack_date

    with reading() as con:
        return default_pack_date(con)


def acceptance_data(as_of: dt.date | None, lang: str, progress=None):
    """The same with the evidence files, for building the pack (not cached: it may hold hundreds of MB)."""
    from metrics.outputs.acceptance import collect

    with reading() as con:
        return collect(con, as_of, lang, progress=progress)


# The viewer's language as last drawn by the frame's switch (dashboard.py): the switch's own value can be missing.
LANG_KEPT = "_lang_kept"


def lang() -> str:
    """The viewer's language: the switch's value, else the one kept from the last run, else the source language."""
    chosen = st.session_state.get("lang")
    if chosen in i18n.LANGUAGES:
        return chosen
    return st.session_state.get(LANG_KEPT) or SOURCE_LANGUAGE


def lang_key(base: str) -> str:
    """A widget key per language, for widgets whose option labels are translated (Streamlit keeps the label)."""
    return f"{base}_{lang()}"


def t(key: str, /, **values) -> str:
    """The catalogue's text for `key` (metrics/locales) in the viewer's language."""
    return i18n.t(key, lang(), **values)


def current() -> Frame:
    """The frame drawn by dashboard.py for this run.

    When a fresh server's very first visit is a page's own URL (a bookmark to /explore), Streamlit runs that
    pages/ script directly, in its old pages-folder mode, before dashboard.py has set up st.navigation. Then there
    is no frame: go through dashboard.py, which comes back to this page with the same URL parameters.
    """
    frame = st.session_state.get("_frame")
    if frame is None:
        import inspect
        from pathlib import Path

        st.session_state["_return_to"] = Path(inspect.stack()[1].filename).name
        st.switch_page(str(Path(__file__).resolve().parent.parent / "dashboard.py"),
                       query_params=st.query_params.to_dict())
    return frame


def config():
    return default_config()


def config_problems() -> tuple[str, list[str]]:
    """(the configuration file, its problems in the viewer's language): every problem at once, read before any
    page runs, so a broken county.toml stops the dashboard with a list instead of a traceback on one page."""
    try:
        default_config()
    except ConfigError as exc:
        return str(exc.path), exc.problem_texts(lang())
    return "", []


def secrets_problems() -> tuple[str, list[str]]:
    """(the secrets file, its problems in the viewer's language), as config_problems: every section's problems at
    once (metrics/outputs/secrets_check.py), each naming a key, never a secret."""
    from metrics.outputs.secrets_check import SecretsError, check_secrets

    try:
        check_secrets()
    except SecretsError as exc:
        return str(exc.path), exc.problem_texts(lang())
    return "", []


@st.cache_resource(show_spinner=False, max_entries=2)
def sandbox(version: str):
    """The locked SQL sandbox for this data version (rebuilt after every load or undo); its queries share the
    query slots of every process serving this database (`<database>.sql-slot-N`)."""
    from metrics.platform.sandbox import build_sandbox

    path = Path(db_path())
    with reading() as con:
        return build_sandbox(con, slots=path.with_name(path.name + ".sql-slot"))
