"""Shared fixtures: a fresh database per test in tmp_path, a fixed hashing key, and the demo database built once
per test session and copied for each test that needs it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

# Keep the compiled test modules (pytest's assertion rewriting) and the library's bytecode in the git-ignored
# __pycache__ folders even where the shell sets PYTHONDONTWRITEBYTECODE=1, as this team's shells do: otherwise every
# worker of every run parses, rewrites and compiles all of them again (~3 CPU-s a worker). Python reads the caches
# either way; it only never wrote them.
sys.dont_write_bytecode = False

from metrics.platform import store  # noqa: E402 - after the bytecode setting above

from .ledgers import TEST_KEY  # noqa: E402

# A fixture made once per worker (session or module scope) and costly to make -> the xdist group of the tests that
# use it: `--dist loadgroup` then runs them on one worker, which makes it once a run. Without the group both workers
# walk the files side by side and each made its own (the acceptance pack ~1.4 s, the long evidence pack ~0.9 s).
SHARED_SETUP_GROUPS = {
    "acceptance_built": "acceptance-pack",  # tests/conftest.py: test_acceptance, test_acceptance_delivery
    "long_pack": "evidence-long-pack",  # test_evidence_scale
    "brief": "briefing-content",  # test_briefing
    "test_region.py::folder": "region-folder",  # a name other modules use for their own fixtures: the module's only
    "test_region_snapshots.py::template": "region-snapshot-template",
}


class SharedSetupGroups:
    """Put each test using a costly per-worker fixture in that fixture's xdist group (SHARED_SETUP_GROUPS). A plugin
    of its own so that it runs first, before xdist and the shim below read the groups."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            if any(True for _ in item.iter_markers("xdist_group")):
                continue  # a group of its own already (a page's run, the region demo)
            module = item.path.name
            for fixture in getattr(item, "fixturenames", ()):
                group = SHARED_SETUP_GROUPS.get(fixture) or SHARED_SETUP_GROUPS.get(f"{module}::{fixture}")
                if group:
                    item.add_marker(pytest.mark.xdist_group(group))
                    break


def pytest_configure(config):
    config.pluginmanager.register(SharedSetupGroups(), "shared-setup-groups")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make `--dist loadgroup` group again. pytest-xdist 3.8 tells the scheduler a test's `xdist_group` by appending
    `@group` to `item._nodeid`, but pytest 9.2 reads node ids from the structured `item._id` (pytest-xdist issue
    #1386, fix not released): the suffix was lost and every group (a page's run shared by its checks, the region
    demo) was spread over both workers, each paying the group's shared setup. Runs on a worker only, after xdist's
    own hook; does nothing where xdist's suffix took (an older pytest, a fixed xdist)."""
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # a pytest whose node ids xdist's own suffix still reaches
        return
    for item in items:
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                         for m in item.iter_markers("xdist_group")})
        if groups and item.nodeid.rfind("@") <= item.nodeid.rfind("]") and isinstance(getattr(item, "_id", None),
                                                                                        NodeId):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session", autouse=True)
def _component_scan_once():
    """Streamlit's AppTest scans every installed package's metadata for custom components on each new AppTest
    (streamlit.components.v2.manifest_scanner, ~70 ms, a few hundred AppTests a run); the packages installed do
    not change during a run, so the scan's answer is kept for the process, a fresh list for each caller. Only where
    a test module imported Streamlit already (an xdist worker collects them all): a run of a few library test files
    does not import it for this."""
    try:
        if "streamlit" not in sys.modules:
            raise ImportError
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # not imported by the tests collected, or a Streamlit without the scan: nothing to keep
        yield
        return
    scan = manifest_scanner.scan_component_manifests
    answers: dict = {}

    def scan_once(max_workers=None):
        if max_workers not in answers:
            answers[max_workers] = scan(max_workers)
        return list(answers[max_workers])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", scan_once)
        yield


@pytest.fixture(scope="session", autouse=True)
def _page_runs_as_served():
    """Every AppTest run goes through dashboard.py and its st.navigation, as every run of a served session does.

    Streamlit falls back to its old pages-folder mode while no st.navigation call has been seen in the process (a
    `pages/` folder sits beside dashboard.py): then a page's URL runs that pages/ script alone, without the frame
    (state.current() sends such a run through dashboard.py; tests/test_browser.py checks that first visit on a
    fresh server). A server leaves that mode for good at its first run of dashboard.py; AppTest enters it again at
    each run, so a page's second run in a test skipped the frame (sign-in, the language, the as-of date) and the
    run's shared read connection (state.page_run) that every served run has."""
    try:
        if "streamlit" not in sys.modules:
            raise ImportError
        from streamlit.runtime import pages_manager
    except ImportError:  # no page run among the tests collected
        yield
        return
    manager = pages_manager.PagesManager
    made = manager.__init__

    def init(self, *args, **kwargs):
        made(self, *args, **kwargs)
        manager.uses_pages_directory = False  # as after a served session's first run of st.navigation

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manager, "__init__", init)
        yield


PRODUCTION_PBKDF2_ROUNDS = None  # auth.PBKDF2_ROUNDS as shipped, kept for the test that checks it


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Local accounts made and checked by the tests hash with 1,000 PBKDF2 rounds instead of the server's 600,000
    (0.16 s a hash, ~20 hashes a run): the tests check who gets in and who is refused, never the cost, and
    test_hardening_access checks the shipped value (PRODUCTION_PBKDF2_ROUNDS)."""
    global PRODUCTION_PBKDF2_ROUNDS
    from metrics.platform import auth

    PRODUCTION_PBKDF2_ROUNDS = auth.PBKDF2_ROUNDS
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "PBKDF2_ROUNDS", 1_000)
        yield


@pytest.fixture
def production_password_cost(monkeypatch):
    """The shipped PBKDF2 cost, for a test that measures what a sign-in costs."""
    from metrics.platform import auth

    monkeypatch.setattr(auth, "PBKDF2_ROUNDS", PRODUCTION_PBKDF2_ROUNDS)


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch):
    monkeypatch.setenv("KPI_HASH_KEY", TEST_KEY)


def shared_template(tmp_path_factory, name: str, make):
    """The file `make(path)` writes, made once for the whole run: under xdist the first worker to ask makes it in the
    run's temporary root, which both workers share (pytest-xdist's recipe: a file lock there, the other worker waits
    for the file and reads it instead of making its own). Without xdist, once per session as before.

    A template is only ever copied, never opened for writing: the finalizer fails the worker's session if its bytes
    changed (a test that wrote into it would have reached every test after it, on both workers)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        path = tmp_path_factory.mktemp(name) / name
        make(path)
    else:
        root = tmp_path_factory.getbasetemp().parent  # pytest-N of this run, shared by its workers
        path = root / "shared-templates" / name
        path.parent.mkdir(exist_ok=True)
        with open(root / "shared-templates" / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if make() raises
            if not path.exists():
                partial = path.with_name(f"{name}.{os.environ['PYTEST_XDIST_WORKER']}.part")
                make(partial)
                os.replace(partial, path)  # whole or absent: the other worker never copies half a file
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    """A database with the schema made once per run: each test's fresh database is a copy of it (a copy opens
    in milliseconds; making the schema costs ~0.2 s, and hundreds of tests take a fresh database)."""
    path = shared_template(tmp_path_factory, "empty.duckdb", lambda target: store.connect(target).close())
    before = _digest(path)
    yield path
    assert _digest(path) == before, "a test wrote into the shared empty template instead of a copy"


@pytest.fixture(scope="session")
def ledgers_template(tmp_path_factory, empty_template):
    """(files, user) -> a database with those CSV ledgers (name, text) loaded, made once per worker and content:
    a test copies it (`ledgers_db`) instead of making the schema and loading the same rows again (~0.3 s)."""
    from metrics.load import ingest

    from .ledgers import csv_bytes

    made: dict = {}

    def make(files: tuple[tuple[str, str], ...], user: str | None = None):
        if (files, user) not in made:
            path = tmp_path_factory.mktemp("ledgers-template") / "ledgers.duckdb"
            shutil.copyfile(empty_template, path)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("KPI_HASH_KEY", TEST_KEY)  # session scope: the autouse monkeypatch is not active yet
                connection = store.connect(path)
                try:
                    kwargs = {"user": user} if user else {}
                    result = ingest.ingest_files(connection, [(n, csv_bytes(t)) for n, t in files], **kwargs)
                    assert result.committed, [e.as_text() for e in result.errors]
                    connection.execute("CHECKPOINT")
                finally:
                    connection.close()
            made[files, user] = path
        return made[files, user]

    return make


@pytest.fixture
def ledgers_db(ledgers_template, tmp_path):
    """(files, name, user) -> a private copy, at tmp_path / name, of a database with those ledgers loaded."""
    def copy(files: tuple[tuple[str, str], ...], name: str, user: str | None = None):
        return shutil.copyfile(ledgers_template(files, user), tmp_path / name)

    return copy


@pytest.fixture
def con(tmp_path, empty_template):
    shutil.copyfile(empty_template, tmp_path / "test.duckdb")
    connection = store.connect(tmp_path / "test.duckdb")
    yield connection
    close_unsaved(connection)


def close_unsaved(connection):
    """Close a test's database without writing its log into the file first: the file is thrown away with tmp_path,
    and that last checkpoint was most of the teardown of the hundreds of tests that load a ledger."""
    try:
        connection.execute("PRAGMA disable_checkpoint_on_shutdown")
    except Exception:  # noqa: BLE001 - closed by the test already, or left broken on purpose: close is what counts
        pass
    connection.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo ledgers loaded once for the whole run (about 2 s); tests get a copy, never this file."""
    from metrics.demo import load_demo

    def make(target):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KPI_HASH_KEY", TEST_KEY)  # session scope: the autouse monkeypatch is not active yet
            con = store.connect(target)
            try:
                assert load_demo(con).committed
                con.execute("CHECKPOINT")
            finally:
                con.close()

    path = shared_template(tmp_path_factory, "demo.duckdb", make)
    before = _digest(path)
    yield path
    assert _digest(path) == before, "a test wrote into the shared demo template instead of a copy"


@pytest.fixture(scope="session")
def acceptance_built(tmp_path_factory, empty_template):
    """The acceptance fixture's five ledgers loaded and the pack built once per session (tests/acceptance_fixture.py):
    tests read its (data, files) and take a copy of its database file (`acceptance_con`)."""
    from .acceptance_fixture import build_template

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPI_HASH_KEY", TEST_KEY)  # session scope: the autouse monkeypatch is not active yet
        return build_template(tmp_path_factory.mktemp("acceptance-template"), empty_template)


def copy_demo(template, target):
    """A private copy of the demo database (the file and its key fingerprint travel together)."""
    shutil.copyfile(template, target)
    return target


@pytest.fixture(scope="module")
def demo_db(demo_template, tmp_path_factory):
    """A copy of the demo database for one test module (pages read it; tests that write take `demo_db_fresh`)."""
    return copy_demo(demo_template, tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture
def demo_db_fresh(demo_template, tmp_path):
    return copy_demo(demo_template, tmp_path / "demo.duckdb")


# ----------------------------------------------------------------------------------- one AppTest run per page

@pytest.fixture(scope="session")
def pages_db(demo_template, tmp_path_factory):
    """The demo database the page runs read (one per worker, never written by a page run)."""
    return copy_demo(demo_template, tmp_path_factory.mktemp("pages") / "demo.duckdb")


@pytest.fixture(scope="session", autouse=True)
def _region_folders_of_the_run(tmp_path_factory):
    """No test reads the checkout's data/region or writes its data/region_cache: `start.sh` writes the demo region
    there, so after a newcomer's first start the region page's tests read seven counties instead of none (and an
    English header's 万元 failed only then). Tests that need snapshots set KPI_REGION_DIR to their own folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPI_REGION_DIR", str(tmp_path_factory.mktemp("no-region")))
        patch.setenv("KPI_REGION_CACHE", str(tmp_path_factory.mktemp("region-cache")))
        yield


@pytest.fixture(scope="session")
def pages_region(demo_template, tmp_path_factory):
    """The demo region's seven snapshots, for the region page's run: its tables and charts are checked drawn."""
    from metrics.demo import write_demo

    directory = tmp_path_factory.mktemp("pages-region")
    write_demo(directory, loaded=demo_template)
    return directory


@pytest.fixture(scope="session")
def rendered_page(pages_db, pages_region):
    """page, lang -> the AppTest of that page run once on the demo data, cached for the session: every check that
    needs a page's elements reads this one run instead of running the page again."""
    import os
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    runs: dict[tuple[str, str], AppTest] = {}

    def render(page: str, lang: str) -> AppTest:
        if (page, lang) not in runs:
            saved = {k: os.environ.get(k) for k in ("KPI_DB", "KPI_HASH_KEY", "KPI_REGION_DIR")}
            os.environ.update(KPI_DB=str(pages_db), KPI_HASH_KEY=TEST_KEY, KPI_REGION_DIR=str(pages_region))
            try:
                at = AppTest.from_file(str(root / "dashboard.py"), default_timeout=90)
                at.session_state["lang"] = lang
                # Opened by its address (a bookmark, a link in a chat), not after a run of the overview first: the
                # same headings, tables, charts and errors either way, without paying the overview ~30 times a run.
                # A page's file name is its address (st.Page without url_path), so AppTest finds it before a run.
                if page != "overview":
                    at.switch_page(f"pages/{page}.py")
                at.run()
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
            runs[page, lang] = at
        return runs[page, lang]

    return render
