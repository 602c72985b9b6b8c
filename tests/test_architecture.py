"""The layering rules of shared/spec/architecture.md, read from the source with `ast` (nothing is imported):

- `metrics` (the library) never imports streamlit, at the top of a module or inside a function;
- no import circle between the modules of `metrics` (a module-level or a function-level import both count: a
  lazy import is how a circle hides);
- no module of `metrics` imports a private name (`_x`) of another;
- `pages/` holds only pages: every file there is a page of the router.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dashboard_ui.navigation import NAVIGATION, PAGES_DIR

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "metrics"


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported from it, line) for every import in the file, resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = "metrics"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from .x import y
                base = package if node.module is None else f"{package}.{node.module}"
            else:
                base = node.module or ""
            names = [alias.name for alias in node.names]
            if node.level and node.module is None:  # from . import a, b: each name is a module
                found += [(f"{base}.{name}", [], node.lineno) for name in names]
            else:
                found.append((base, names, node.lineno))
    return found


def library_graph() -> dict[str, set[str]]:
    modules = {f"metrics.{p.stem}" for p in LIBRARY.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for path in LIBRARY.glob("*.py"):
        if path.stem == "__init__":
            continue
        name = f"metrics.{path.stem}"
        graph[name] = {target for target, _, _ in imports_of(path) if target in modules and target != name}
    return graph


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
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in LIBRARY.glob("*.py")
                 for target, _, line in imports_of(path) if target.split(".")[0] == "streamlit"]
    assert offenders == []


def test_no_import_circle_inside_the_library():
    assert find_cycle(library_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    # The check above must be able to fail: a -> b -> c -> a is found, a tree is not.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_private_names_cross_library_modules():
    offenders = []
    for path in LIBRARY.glob("*.py"):
        for target, names, line in imports_of(path):
            if target.startswith("metrics."):
                offenders += [f"{path.name}:{line} {target}.{n}" for n in names if n.startswith("_")]
    assert offenders == []


def test_pages_holds_only_the_routers_pages():
    routed = {file for _, file, _, _ in NAVIGATION}
    present = {p.name for p in PAGES_DIR.iterdir() if p.name != "__pycache__"}
    assert present == routed


def test_every_library_error_is_a_dashboard_error():
    """One error family: a class of `metrics` deriving from Exception directly is a second root (private classes used
    for control flow inside one module, `_Name`, are allowed)."""
    roots = []
    for path in LIBRARY.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {"Exception", "ValueError", "RuntimeError"} and node.name != "DashboardError":
                    if not bases - {"Exception", "ValueError", "RuntimeError"}:
                        roots.append(f"{path.name}:{node.lineno} {node.name}")
    assert roots == []


def test_errors_render_in_both_languages():
    from metrics.acceptance import PackTooLarge
    from metrics.errors import DashboardError
    from metrics.store import StoreBusy

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
    for path in PAGES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # the SQL sandbox's example query is shown to the analyst, not run
        shown = {id(k.value) for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords if k.arg == "placeholder"}
        for node in ast.walk(tree):
            if id(node) in shown:
                continue
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "store":
                offenders.append(f"{path.name}:{node.lineno} store.{node.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = " ".join(node.value.split()).upper()
                if text.startswith(("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ")) and " FROM " in text:
                    offenders.append(f"{path.name}:{node.lineno} SQL")
    assert offenders == []


# Data flows one way: ledger file -> ingest -> DuckDB -> KPIs -> page / CLI / export. The loading side never reaches up
# to the KPI side (a preview's KPI movement is measured by metrics.actions through ingest's probe).
LOADING_SIDE = {"reader", "parsing", "rules", "validate", "columnar", "forms", "ingest", "privacy", "pii", "datasets"}
KPI_SIDE = {"registry", "scorecard", "status", "budget", "views", "briefing", "charts", "formatting"}


def test_the_loading_side_never_imports_the_kpi_side():
    graph = library_graph()
    offenders = []
    for module in sorted(LOADING_SIDE):
        name = f"metrics.{module}"
        seen, todo = set(), [name]
        while todo:  # everything `module` imports, directly or not
            current = todo.pop()
            if current == "metrics.config" and current != name:
                continue  # the county's configuration checks its targets against the registry; both sides read it
            for nxt in graph.get(current, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        offenders += [f"{module} -> {m}" for m in sorted(seen) if m.split(".")[1] in KPI_SIDE]
    assert offenders == []


def test_every_change_goes_through_actions():
    """Loads and undos from the pages and the command line call metrics.actions (with its role check), never ingest's
    writers directly."""
    writers = {"ingest_files", "ingest_paths", "undo", "undo_checked"}
    offenders = []
    for path in [LIBRARY / "__main__.py", *PAGES_DIR.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in writers and isinstance(node.value, ast.Name)
                    and node.value.id == "ingest"):
                offenders.append(f"{path.name}:{node.lineno} ingest.{node.attr}")
    assert offenders == []


def test_pages_name_their_views_by_function():
    """state.view takes the view function itself (views.kpi_rows), not its name, so a reader or a tool sees which
    page uses which view."""
    offenders = []
    for path in [*PAGES_DIR.glob("*.py"), *(ROOT / "dashboard_ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "view" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                offenders.append(f"{path.name}:{node.lineno} view({node.args[0].value!r})")
    assert offenders == []
