"""The region view (地区汇总): many counties' database snapshots side by side, each against its own plan.

A prefecture collects each county's `backup` file in one folder. Each snapshot is attached read-only
(`ATTACH … (READ_ONLY)`: nothing is copied, nothing can be written) into an in-memory DuckDB and scored by the
ordinary scorecard with that county's own configuration, so targets may differ from county to county. Which
configuration: `<snapshot stem>.toml` beside the snapshot, or what `region.toml` names (docs/deploy.md), else the
default county file (said so). A snapshot that is missing, unreadable or from another schema version is listed
with the reason; the rest still show.

Ranks compare progress against each county's own target (value ÷ target), the one fair comparison when targets
differ; ties share a rank (1, 2, 2, 4); a county without data has no rank. Every county is scored as of one shared
date (`Region.as_of`): the one asked for, else the earliest of the counties' latest data dates, so a stale
snapshot is not ranked against current ones as if they were of the same day. A county whose data ends before the
shared date (possible only with a date asked for) is named with a warning: its progress since is not counted.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from metrics.core.config import ConfigError, default_config, load_config
from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID, KPIS
from metrics.kpi.scorecard import KpiResult, latest_data_date, scorecard
from metrics.kpi.status import STATUSES, status_name
from metrics.platform import store

MANIFEST = "region.toml"


class RegionError(DashboardError):
    """The region folder's manifest (region.toml) is unusable."""


@dataclass
class County:
    name: str
    snapshot: Path
    config_path: Path | None = None
    config_note: str = ""  # set when the default configuration stands in for a missing one
    problem_key: str = ""  # why the snapshot cannot be read: a message key, with its values
    problem_values: dict = field(default_factory=dict)
    as_of: dt.date | None = None
    latest: dt.date | None = None  # the county's own latest data date (its snapshot's last record)
    demo: bool = False
    results: list[KpiResult] = field(default_factory=list)
    plan_wan: float | None = None
    spent_wan: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problem_key

    def problem(self, lang: str = "zh") -> str:
        return t(self.problem_key, lang, **self.problem_values) if self.problem_key else ""


@dataclass
class Region:
    counties: list[County]
    as_of: dt.date | None = None  # the one date every county is scored at
    as_of_asked: bool = False  # asked for; else the earliest of the counties' latest data dates

    def ending_before(self) -> list[County]:
        """Readable counties whose data ends before the shared as-of date."""
        return [c for c in self.readable if self.as_of and c.latest and c.latest < self.as_of]

    def as_of_note(self, lang: str = "zh") -> str:
        """Which date the ranks were computed at, and why that one."""
        if self.as_of is None:
            return ""
        why = t("region_as_of_chosen" if self.as_of_asked else "region_as_of_earliest", lang)
        return t("region_ranks_as_of", lang, as_of=self.as_of, why=why)

    def warnings(self, lang: str = "zh") -> list[str]:
        return [t("region_data_ends_before", lang, name=c.name, latest=c.latest, as_of=self.as_of)
                for c in self.ending_before()]

    @property
    def readable(self) -> list[County]:
        return [c for c in self.counties if c.ok]

    @property
    def unreadable(self) -> list[County]:
        return [c for c in self.counties if not c.ok]

    def league(self, kpi_id: str) -> pd.DataFrame:
        """One row per readable county: value, target, status, progress against its own target, rank."""
        rows = []
        for county in self.readable:
            r = next(x for x in county.results if x.id == kpi_id)
            rows.append({"county": county.name, "value": r.value, "target": r.target, "target_max": r.target_max,
                         "status": r.status, "progress": r.progress, "as_of": county.as_of,
                         "latest": county.latest})
        frame = pd.DataFrame(rows, columns=["county", "value", "target", "target_max", "status", "progress", "as_of",
                                            "latest"])
        # Rounded first: equal shares computed from different figures must tie, not differ in the 16th digit.
        frame["rank"] = frame["progress"].astype(float).round(9).rank(method="min", ascending=False).astype("Int64")
        return frame.sort_values(["rank", "county"], na_position="last").reset_index(drop=True)

    def status_counts(self) -> pd.DataFrame:
        """Per county: how many KPIs in each status."""
        rows = []
        for county in self.readable:
            counts = {s: 0 for s in STATUSES}
            for r in county.results:
                counts[r.status] += 1
            rows.append({"county": county.name, **counts})
        return pd.DataFrame(rows, columns=["county", *STATUSES])

    def budget(self) -> pd.DataFrame:
        rows = [{"county": c.name, "plan_wan": c.plan_wan, "spent_wan": c.spent_wan,
                 "execution": c.spent_wan / c.plan_wan if c.plan_wan else None} for c in self.readable]
        return pd.DataFrame(rows, columns=["county", "plan_wan", "spent_wan", "execution"])

    def county(self, name: str) -> County:
        return next(c for c in self.counties if c.name == name)


def discover(directory: Path) -> list[County]:
    """The counties of a region folder: region.toml's list when there is one, else every *.duckdb in it."""
    manifest = directory / MANIFEST
    if manifest.exists():
        try:
            raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RegionError("region_is_not_valid_toml", manifest=manifest, exc=exc) from None
        counties = []
        for i, entry in enumerate(raw.get("counties", [])):
            if not isinstance(entry, dict) or not isinstance(entry.get("snapshot"), str):
                raise RegionError("region_counties_number_has_no_snapshot", manifest=manifest, i=i + 1)
            config = entry.get("config")
            counties.append(County(entry.get("name") or Path(entry["snapshot"]).stem, directory / entry["snapshot"],
                                   directory / config if config else None))
        return counties
    counties = []
    for path in sorted(directory.glob("*.duckdb")):
        beside = path.with_suffix(".toml")
        counties.append(County(path.stem, path, beside if beside.exists() else None))
    return counties


def _fail(county: County, key: str, **values) -> County:
    county.problem_key, county.problem_values = key, values
    return county


def _check_schema(con: duckdb.DuckDBPyConnection) -> tuple[str, dict] | None:
    """None when the attached snapshot is of this dashboard's schema version, else the reason (key, values). A missing
    ledger table is found when the snapshot is scored (a catalog error), which costs nothing up front."""
    version = store.structure_version(con, "county")
    if version is None:
        return "region_no_meta", {}
    if version != store.STRUCTURE_VERSION:
        return "region_schema_version", {"version": version, "ours": store.STRUCTURE_VERSION}
    return None


def read_county(county: County, as_of: dt.date | None = None, lang: str = "zh",
                con: duckdb.DuckDBPyConnection | None = None) -> County:
    """Attach one snapshot read-only, score it with its own configuration, detach. Never raises for a bad file.

    `con`: an in-memory DuckDB to attach into (opening one costs ~40 ms, so a region shares one)."""
    if not county.snapshot.is_file():
        return _fail(county, "region_snapshot_not_found", file=county.snapshot.name)
    try:
        config = load_config(county.config_path) if county.config_path else default_config()
    except ConfigError as exc:
        return _fail(county, "region_config_problems", problems_zh=t("semicolon_separator", "zh").join(exc.problem_texts("zh")),
                     problems_en=t("semicolon_separator", "en").join(exc.problems))
    if county.config_path is None:
        county.config_note = t("region_no_configuration_of_its_own", lang)
    if county.name == county.snapshot.stem and config.name_zh and county.config_path is not None:
        county.name = config.name_en if lang == "en" and config.name_en else config.name_zh
    own = con is None
    con = duckdb.connect(":memory:") if own else con
    attached = False
    try:
        path = str(county.snapshot.resolve()).replace("'", "''")
        try:
            con.execute(f"ATTACH '{path}' AS county (READ_ONLY)")
            attached = True
        except duckdb.Error as exc:
            return _fail(county, "region_unreadable", detail=str(exc).splitlines()[0][:160])
        reason = _check_schema(con)
        if reason:
            return _fail(county, reason[0], **reason[1])
        con.execute("USE county")  # the scorecard's queries name tables unqualified
        try:
            county.as_of = as_of or latest_data_date(con)
            county.results = scorecard(con, county.as_of, config, lang, with_forecast=False)
            county.demo = store.demo_loaded(con)
        except duckdb.CatalogException as exc:
            return _fail(county, "region_tables_missing", detail=str(exc).splitlines()[0][:160])
        except (duckdb.Error, ConfigError) as exc:
            return _fail(county, "region_not_scored", detail=str(exc).splitlines()[0][:160])
        # Spent to date is the budget KPI's own figure (registry: sum of expenditures up to as-of).
        budget_kpi = next(r for r in county.results if r.id == "budget_execution_rate")
        county.plan_wan = config.budget_wan
        county.spent_wan = float(budget_kpi.detail.get("spent_wan") or 0.0)
        return county
    finally:
        if attached:
            con.execute("USE memory")
            con.execute("DETACH county")
        if own:
            con.close()


PARALLEL_FROM = 64  # snapshots to score before a pool of processes pays for its start (~1 s each)


def _score_chunk(job: tuple[list[County], dt.date | None, str]) -> list[County]:
    """Score a share of the counties in a worker process, through one in-memory DuckDB."""
    counties, as_of, lang = job
    con = duckdb.connect(":memory:")
    try:
        return [read_county(c, as_of, lang, con) for c in counties]
    finally:
        con.close()


def _score_in_processes(jobs: list, kind: str = "score") -> list[list]:
    """Each job in its own `python -c` process (not multiprocessing: it would re-run the parent's main script,
    which under Streamlit is the server). A process that fails has its share scored here instead."""
    import pickle
    import subprocess
    import sys

    from metrics.core.config import PROJECT_ROOT

    command = [sys.executable, "-c", f"from metrics.outputs.region import _worker_main; _worker_main({kind!r})"]
    processes = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, cwd=PROJECT_ROOT) for _ in jobs]
    for process, job in zip(processes, jobs):  # every input first, so all run while the outputs are read
        process.stdin.write(pickle.dumps(job))
        process.stdin.close()
    results = []
    for process, job in zip(processes, jobs):
        output = process.stdout.read()
        process.wait()
        results.append(pickle.loads(output) if process.returncode == 0 and output else _CHUNKS[kind](job))
    return results


def _worker_main(kind: str = "score") -> None:
    """A scoring process: a pickled job on stdin, the scored counties (or their latest dates) pickled on stdout
    (own processes only)."""
    import pickle
    import sys

    job = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(_CHUNKS[kind](job)))
    sys.stdout.buffer.flush()


def latest_dates(counties: list[County], cache_dir: Path | None = None, workers: int = 1) -> list[dt.date | None]:
    """Each county's own latest data date (None for a snapshot that cannot be read: scoring says why). One
    attach per snapshot (~20 ms; shared among `workers` processes from PARALLEL_FROM on), or none when the cache
    has it for this very snapshot."""
    import json

    keys = [_cache_key(c, "latest", "") if cache_dir else None for c in counties]
    dates: list[dt.date | None] = [None] * len(counties)
    todo = []
    for i, key in enumerate(keys):
        try:
            cached = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8")) if key else None
        except (OSError, ValueError):
            cached = None
        if cached and cached.get("latest"):
            dates[i] = dt.date.fromisoformat(cached["latest"])
        else:
            todo.append(i)
    if workers > 1 and len(todo) >= PARALLEL_FROM:
        shares = [todo[k::workers] for k in range(workers)]
        found = _score_in_processes([[counties[i] for i in share] for share in shares], "latest")
        for share, share_dates in zip(shares, found):
            for i, latest in zip(share, share_dates):
                dates[i] = latest
    else:
        for i, latest in zip(todo, _latest_chunk([counties[i] for i in todo])):
            dates[i] = latest
    for i in todo:
        if keys[i] and dates[i]:
            cache_dir.mkdir(parents=True, exist_ok=True)
            (cache_dir / f"{keys[i]}.json").write_text(json.dumps({"latest": dates[i].isoformat()}), encoding="utf-8")
    return dates


def _latest_chunk(counties: list[County]) -> list[dt.date | None]:
    if not counties:
        return []
    con = duckdb.connect(":memory:")
    try:
        return [_latest_of(c, con) for c in counties]
    finally:
        con.close()


def _latest_of(county: County, con: duckdb.DuckDBPyConnection) -> dt.date | None:
    if not county.snapshot.is_file():
        return None
    path = str(county.snapshot.resolve()).replace("'", "''")
    try:
        con.execute(f"ATTACH '{path}' AS county (READ_ONLY)")
    except duckdb.Error:
        return None
    try:
        if _check_schema(con):
            return None
        con.execute("USE county")
        return latest_data_date(con)
    except duckdb.Error:
        return None
    finally:
        con.execute("USE memory")
        con.execute("DETACH county")


def read_region(directory: Path | str, as_of: dt.date | None = None, lang: str = "zh",
                cache_dir: Path | None = None, workers: int | None = None) -> Region:
    """Every county of the folder, scored as of one shared date: `as_of`, else the earliest of the counties'
    latest data dates. With `cache_dir`, a county whose snapshot and configuration are unchanged since it was
    last scored is taken from there (a snapshot is re-read only when replaced). Many snapshots to score are shared
    among `workers` processes (default: one per CPU, up to 8)."""
    import os

    directory = Path(directory)
    if not directory.is_dir():
        return Region([])
    counties = discover(directory)
    workers = workers or min(os.cpu_count() or 1, 8)
    latest = latest_dates(counties, cache_dir, workers)
    asked = as_of is not None
    known = [d for d in latest if d]
    as_of = as_of or (min(known) if known else None)
    keys = [_cache_key(c, as_of, lang) if cache_dir else None for c in counties]
    done: list[County | None] = [_cache_get(cache_dir, k, c) if k else None for c, k in zip(counties, keys)]
    todo = [i for i, c in enumerate(done) if c is None]
    if workers > 1 and len(todo) >= PARALLEL_FROM:
        shares = [todo[k::workers] for k in range(workers)]
        jobs = [([counties[i] for i in share], as_of, lang) for share in shares]
        for share, scored in zip(shares, _score_in_processes(jobs)):
            for i, county in zip(share, scored):
                done[i] = county
    else:
        for i, county in zip(todo, _score_chunk(([counties[i] for i in todo], as_of, lang))):
            done[i] = county
    for i in todo:
        if keys[i] and done[i].ok:
            _cache_put(cache_dir, keys[i], done[i])
    for county, own_latest in zip(done, latest):
        county.latest = own_latest
    return Region(done, as_of, asked)


_CHUNKS = {"score": _score_chunk, "latest": _latest_chunk}


# ------------------------------------------------------------------------------------------------ cache

CACHE_VERSION = 1  # bump when what is cached changes shape


def default_cache_dir() -> Path:
    import os

    from metrics.core.config import PROJECT_ROOT

    return Path(os.environ.get("KPI_REGION_CACHE") or PROJECT_ROOT / "data" / "region_cache")


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """The KPI definitions and status rule: scores cached under other definitions are not reused."""
    import hashlib
    import inspect

    from metrics.kpi import scorecard as scorecard_module
    from metrics.kpi import status

    text = "".join(k.sql + k.kind + k.unit("zh") for k in KPIS) + inspect.getsource(status) + \
        inspect.getsource(scorecard_module)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cache_key(county: County, as_of: dt.date | str | None, lang: str) -> str | None:
    import hashlib

    if not county.snapshot.is_file():
        return None
    stat = county.snapshot.stat()
    config = county.config_path.read_bytes() if county.config_path and county.config_path.is_file() else b"default"
    if config == b"default":
        from metrics.core.config import DEFAULT_CONFIG

        config += DEFAULT_CONFIG.read_bytes()
    parts = [str(county.snapshot.resolve()), str(stat.st_size), str(stat.st_mtime_ns), county.name,
             hashlib.sha256(config).hexdigest(), str(as_of), lang, store.STRUCTURE_VERSION, str(CACHE_VERSION),
             _code_fingerprint()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cache_get(cache_dir: Path, key: str, county: County) -> County | None:
    import json

    path = cache_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    results = []
    for r in data["results"]:
        r["deadline"] = dt.date.fromisoformat(r["deadline"])
        r["latest_record"] = dt.date.fromisoformat(r["latest_record"]) if r["latest_record"] else None
        results.append(KpiResult(**r))
    return County(data["name"], county.snapshot, county.config_path, data["config_note"], as_of=dt.date.fromisoformat(
        data["as_of"]), demo=data["demo"], results=results, plan_wan=data["plan_wan"], spent_wan=data["spent_wan"])


def _cache_put(cache_dir: Path, key: str, county: County) -> None:
    import json
    import os

    cache_dir.mkdir(parents=True, exist_ok=True)
    data = {"name": county.name, "config_note": county.config_note, "as_of": county.as_of.isoformat(),
            "demo": county.demo, "plan_wan": county.plan_wan, "spent_wan": county.spent_wan,
            "results": [r.as_json() for r in county.results]}
    partial = cache_dir / f"{key}.partial"
    partial.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(partial, cache_dir / f"{key}.json")  # a reader never sees half a file


# ------------------------------------------------------------------------------------------------- text

def kpi_name(kpi_id: str, lang: str) -> str:
    return KPI_BY_ID[kpi_id].name(lang)


def _ends_before(latest: dt.date | None, as_of: dt.date | None, lang: str) -> str:
    if not latest or not as_of or latest >= as_of:
        return ""
    return "  ⚠ " + t("region_data_ends", lang, latest=latest)


def region_text(region: Region, lang: str = "zh", kpis: list[str] | None = None) -> str:
    """The command line's view: status counts, budget, a league table per KPI, and the unreadable snapshots."""
    from metrics.kpi.formatting import format_target, format_value

    out = []
    demo = any(c.demo for c in region.readable)
    if demo:
        out.append(t("region_demo_data", lang))
    out.append(t("region_region", lang) + f"{len(region.readable)} / {len(region.counties)}"
               + t("region_counties_readable", lang))
    if region.as_of_note(lang):
        out.append(region.as_of_note(lang))
    out += [f"  ! {warning}" for warning in region.warnings(lang)]
    for county in region.unreadable:
        out.append(t("region_unreadable_line", lang, name=county.name, file=county.snapshot.name,
                     problem=county.problem(lang)))
    for county in region.readable:
        if county.config_note:
            out.append(f"  ! {county.name}: {county.config_note}")
    out.append("")
    out.append(t("region_status_count", lang))
    for row in region.status_counts().itertuples(index=False):
        counts = "  ".join(f"{status_name(s, lang)} {getattr(row, s)}" for s in STATUSES)
        out.append(f"  {row.county}: {counts}")
    out.append("")
    out.append(t("briefing_budget_execution", lang))
    for row in region.budget().itertuples(index=False):
        share = f"{row.execution * 100:.1f}%" if row.execution is not None else "—"
        out.append(f"  {row.county}: {row.spent_wan:,.1f} / {row.plan_wan:,.1f} 万元 ({share})")
    for kpi in KPIS:
        if kpis and kpi.id not in kpis:
            continue
        out.append("")
        when = "" if region.as_of is None else t("region_as_of", lang, as_of=region.as_of)
        out.append(kpi_name(kpi.id, lang) + when)
        for row in region.league(kpi.id).itertuples(index=False):
            rank = f"{row.rank:>3}" if not pd.isna(row.rank) else "  —"
            out.append(f"  {rank}  {row.county}  {format_value(kpi.id, row.value, lang)} / "
                       f"{format_target(kpi.id, row.target, row.target_max, lang)}  {status_name(row.status, lang)}"
                       + _ends_before(row.latest, region.as_of, lang))
    return "\n".join(out)
