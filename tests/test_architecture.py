"""The layering rules of shared/spec/architecture.md, read from the source with `ast` (nothing is imported):

- the library is `metrics/` with every subpackage in it, read recursively; relative imports are resolved against each
  module's own package (`from ..core import config` in `metrics/kpi/x.py` is `metrics.core.config`);
- its families are layered core -> platform -> load -> kpi -> outputs, with the application on top (`__main__`,
  `actions`, `demo` directly in `metrics/`): a module imports only from its own family or a lower one, so data flows
  one way (ledger file -> load -> DuckDB -> kpi -> outputs) and nothing reaches back up;
- `metrics` never imports streamlit, at the top of a module or inside a function;
- no import circle between the modules of `metrics` (a module-level or a function-level import both count: a
  lazy import is how a circle hides);
- no module of `metrics` imports a private name (`_x`) of another;
- `pages/` holds only pages: every file there is a page of the router.

Each library rule is also run on a planted violation inside a subpackage (`planted`), so a rule that reads nothing
fails instead of passing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard_ui.navigation import NAVIGATION, PAGES_DIR

from . import source_tree

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "metrics"
# The families, lowest first: a module may import from its own family and those before it.
FAMILIES = ("core", "platform", "load", "kpi", "outputs")
# The application, directly in metrics/: it may import every family, and no family imports it.
APPLICATION = {"metrics", "metrics.__main__", "metrics.actions", "metrics.demo"}


def module_name(path: Path, library: Path = LIBRARY) -> str:
    """metrics/core/config.py -> metrics.core.config; metrics/core/__init__.py -> metrics.core."""
    parts = [library.name, *path.relative_to(library).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_files(library: Path = LIBRARY) -> list[Path]:
    if library == LIBRARY:
        return source_tree.files("library")
    return sorted(p for p in library.rglob("*.py") if "__pycache__" not in p.parts)  # a planted library


def imports_of(path: Path, library: Path = LIBRARY) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported from it, line) for every import in the file, resolved to absolute names
    against the module's own package."""
    name = module_name(path, library)
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found = []
    for node in source_tree.walk(path):  # a planted file is parsed afresh
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from ..core.x import y
                parts = package.split(".")
                anchor = ".".join(parts[:len(parts) - (node.level - 1)])
                base = anchor if node.module is None else f"{anchor}.{node.module}"
            else:
                base = node.module or ""
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return found


def library_graph(library: Path = LIBRARY) -> dict[str, set[str]]:
    """Module -> the library modules it imports. `from pkg import name` imports the module `pkg.name` when there is
    one (how `from metrics.core import config` names a module), else `pkg` itself."""
    files = library_files(library)
    modules = {module_name(p, library) for p in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        name = module_name(path, library)
        targets: set[str] = set()
        for target, names, _ in imports_of(path, library):
            submodules = {f"{target}.{n}" for n in names} & modules
            targets |= submodules or ({target} & modules)
        graph[name] = targets - {name}
    return graph


def family_rank(module: str) -> int | None:
    """0 for core … 4 for outputs, one more for the application; None for a module in no family."""
    if module in APPLICATION or module.split(".")[0] != "metrics":
        return len(FAMILIES) if module in APPLICATION else None
    parts = module.split(".")
    return FAMILIES.index(parts[1]) if len(parts) >= 2 and parts[1] in FAMILIES else None


def layer_violations(library: Path = LIBRARY) -> list[str]:
    graph = library_graph(library)
    out = [f"{m} belongs to no family ({', '.join(FAMILIES)}) and is not the application"
           for m in sorted(graph) if family_rank(m) is None]
    for module, targets in sorted(graph.items()):
        rank = family_rank(module)
        out += [f"{module} imports {target}, a higher family" for target in sorted(targets)
                if rank is not None and (family_rank(target) or 0) > rank]
    return out


def streamlit_imports(library: Path = LIBRARY) -> list[str]:
    return [f"{module_name(path, library)}:{line}" for path in library_files(library)
            for target, _, line in imports_of(path, library) if target.split(".")[0] == "streamlit"]


def private_imports(library: Path = LIBRARY) -> list[str]:
    offenders = []
    for path in library_files(library):
        for target, names, line in imports_of(path, library):
            if target.split(".")[0] == library.name:
                offenders += [f"{module_name(path, library)}:{line} {target}.{n}" for n in names if n.startswith("_")]
    return offenders


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules (first = last), or None (depth-first search with colours)."""
    colour = dict.fromkeys(graph, 0)  # 0 unseen, 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt) == 0 and (cycle := visit(nxt)):
                return cycle
        path.pop()
        colour[node] = 2
        return None

    for start in sorted(graph):
        if colour[start] == 0 and (cycle := visit(start)):
            return cycle
    return None


def test_the_library_never_imports_streamlit():
    assert streamlit_imports() == []


def test_no_import_circle_inside_the_library():
    assert find_cycle(library_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    # The check above must be able to fail: a -> b -> c -> a is found, a tree is not.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_families_are_layered():
    """core -> platform -> load -> kpi -> outputs -> the application: nothing imports upward, every module has a
    family."""
    assert layer_violations() == []


def test_the_library_is_read_recursively():
    # A check that globbed one level deep would read only the application and pass on anything.
    graph = library_graph()
    assert {family for m in graph if (family := m.split(".")[1] if m.count(".") >= 2 else None)} == set(FAMILIES)
    assert "metrics.core.config" in graph["metrics.kpi.scorecard"]  # an import across families is seen


def test_no_private_names_cross_library_modules():
    assert private_imports() == []


@pytest.fixture
def planted(tmp_path):
    """A small library with one violation of each rule, all inside subpackages."""
    lib = tmp_path / "metrics"
    files = {
        "__init__.py": "",
        "__main__.py": "from metrics.outputs import report\n",
        "core/__init__.py": "",
        "core/config.py": "from ..kpi.scorecard import value\n",  # upward, relative, two levels
        "kpi/__init__.py": "",
        "kpi/scorecard.py": "from metrics.core import config\nfrom .status import _pace\n",  # circle with config
        "kpi/status.py": "def helper():\n    import streamlit\n",  # a lazy streamlit import
        "outputs/__init__.py": "",
        "outputs/report.py": "from metrics.kpi import scorecard\n",  # downward: allowed
        "stray.py": "",  # in no family
    }
    for name, text in files.items():
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        (lib / name).write_text(text, encoding="utf-8")
    return lib


def test_the_rules_fail_on_violations_planted_in_subpackages(planted):
    assert layer_violations(planted) == [
        "metrics.stray belongs to no family (core, platform, load, kpi, outputs) and is not the application",
        "metrics.core.config imports metrics.kpi.scorecard, a higher family",
    ]
    assert find_cycle(library_graph(planted)) == ["metrics.kpi.scorecard", "metrics.core.config", "metrics.kpi.scorecard"]
    assert streamlit_imports(planted) == ["metrics.kpi.status:2"]
    assert private_imports(planted) == ["metrics.kpi.scorecard:2 metrics.kpi.status._pace"]


def test_pages_holds_only_the_routers_pages():
    routed = {file for _, file, _, _ in NAVIGATION}
    present = {p.name for p in PAGES_DIR.iterdir() if p.name != "__pycache__"}
    assert present == routed


def test_every_library_error_is_a_dashboard_error():
    """One error family: a class of `metrics` deriving from Exception directly is a second root (private classes used
    for control flow inside one module, `_Name`, are allowed)."""
    roots = []
    for path in library_files():
        for node in source_tree.walk(path):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {"Exception", "ValueError", "RuntimeError"} and node.name != "DashboardError":
                    if not bases - {"Exception", "ValueError", "RuntimeError"}:
                        roots.append(f"{module_name(path)}:{node.lineno} {node.name}")
    assert roots == []


def test_errors_render_in_both_languages():
    from metrics.core.errors import DashboardError
    from metrics.outputs.acceptance import PackTooLarge
    from metrics.platform.store import StoreBusy

    busy = StoreBusy("lock held by pid 7")
    assert isinstance(busy, DashboardError)
    assert busy.message("zh") == "数据库正被另一个程序写入（lock held by pid 7），请稍后再试"
    assert busy.message("en").startswith("the database is being written by another program (lock held by pid 7)")
    refused = PackTooLarge("acceptance_pack_too_large", mb=600, limit=512)  # a key and values, no text at the raise
    assert refused.message("zh").startswith("佐证材料共 600 MB，超过单个材料包上限 512 MB")
    assert refused.message("en").startswith("the evidence files add up to 600 MB, over the 512 MB")
    assert str(refused) == refused.message("en")


def test_pages_hold_no_sql():
    """Pages reach data through views and actions: no SQL string and no store call in a page."""
    offenders = []
    for path in source_tree.files("pages"):
        # the SQL sandbox's example query is shown to the analyst, not run
        shown = {id(k.value) for n in source_tree.walk(path) if isinstance(n, ast.Call) for k in n.keywords
                 if k.arg == "placeholder"}
        for node in source_tree.walk(path):
            if id(node) in shown:
                continue
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "store":
                offenders.append(f"{path.name}:{node.lineno} store.{node.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = " ".join(node.value.split()).upper()
                if text.startswith(("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ")) and " FROM " in text:
                    offenders.append(f"{path.name}:{node.lineno} SQL")
    assert offenders == []


def test_every_change_goes_through_actions():
    """Loads and undos from the pages and the command line call metrics.actions (with its role check), never ingest's
    writers directly."""
    writers = {"ingest_files", "ingest_paths", "undo", "undo_checked"}
    offenders = []
    for path in [LIBRARY / "__main__.py", *source_tree.files("pages")]:
        for node in source_tree.walk(path):
            if (isinstance(node, ast.Attribute) and node.attr in writers and isinstance(node.value, ast.Name)
                    and node.value.id == "ingest"):
                offenders.append(f"{path.name}:{node.lineno} ingest.{node.attr}")
    assert offenders == []


def test_pages_name_their_views_by_function():
    """state.view takes the view function itself (views.kpi_rows), not its name, so a reader or a tool sees which
    page uses which view."""
    offenders = []
    for path in source_tree.files("pages", "ui"):
        for node in source_tree.walk(path):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "view" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                offenders.append(f"{path.name}:{node.lineno} view({node.args[0].value!r})")
    assert offenders == []
