"""The region view (地区汇总): many counties' database snapshots side by side, each against its own plan.

A prefecture collects each county's `backup` file in one folder. A snapshot is someone else's file: each is opened
read-only and locked down, its catalogue checked (only base tables of this dashboard's schema), and scored by the
ordinary scorecard with that county's own configuration in a capped child process (region_score.py), so targets
may differ from county to county and one bad snapshot is that county's row, never the view's end. Which
configuration: `<snapshot stem>.toml` beside the snapshot, or what `region.toml` names (docs/deploy.md), else the
default county file (said so). A snapshot that is missing, unreadable, from another schema version, refused
(a view, a macro, a path out of the folder), too slow or too big is listed with the reason; the rest still show.

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

import pandas as pd

from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.core.registry import KPI_BY_ID, KPIS
from metrics.kpi.scorecard import KpiResult
from metrics.kpi.status import STATUSES, status_name
from metrics.outputs.region_score import Job, fail, score_all
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
    duplicate_note: str = ""  # set when another snapshot claims the same county (both are shown, with their files)

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
    """The counties of a region folder: region.toml's list when there is one, else every *.duckdb in it. A snapshot
    or configuration that is a dangling symlink, or whose path leads out of the folder (a symlink, `../`, an absolute
    path), is that county's problem: it is not followed."""
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
            name = entry.get("name")
            county = County(str(name) if name else Path(entry["snapshot"]).stem, directory / entry["snapshot"],
                            directory / str(config) if config else None)
            counties.append(_check_paths(county, directory))
        return counties
    counties = []
    for path in sorted(directory.glob("*.duckdb")):
        beside = path.with_suffix(".toml")
        counties.append(_check_paths(County(path.stem, path, beside if beside.is_symlink() or beside.exists()
                                            else None), directory))
    return counties


def _check_paths(county: County, directory: Path) -> County:
    """The county, with a problem if its snapshot or configuration is not a file inside the folder."""
    import os

    inside = directory.resolve()
    for path in (county.snapshot, county.config_path):
        if path is None:
            continue
        if path.is_symlink() and not path.exists():
            return fail(county, "region_symlink_dangling", file=path.name, target=os.readlink(path)[:200])
        try:
            outside = not path.resolve().is_relative_to(inside)
        except (OSError, RuntimeError):  # a loop further up the path
            return fail(county, "region_symlink_dangling", file=path.name, target=str(path)[:200])
        if outside:
            return fail(county, "region_path_outside", file=path.name)
        if path == county.snapshot and not path.is_file():  # a missing configuration: load_config says so
            return fail(county, "region_snapshot_not_found", file=path.name)
    # Absolute (the child runs in an empty folder), not resolved: the name shown stays the one in the folder.
    county.snapshot = Path(os.path.abspath(county.snapshot))
    county.config_path = Path(os.path.abspath(county.config_path)) if county.config_path else None
    return county


def read_region(directory: Path | str, as_of: dt.date | None = None, lang: str = "zh",
                cache_dir: Path | None = None, workers: int | None = None, isolate: bool = True,
                time_limit_s: float | None = None) -> Region:
    """Every county of the folder, scored as of one shared date: `as_of`, else the earliest of the counties'
    latest data dates. Each snapshot is scored in a capped child process (region_score.py; `isolate=False`: here,
    for fast tests), shared among `workers` children (default: one per CPU, up to 8). With `cache_dir`, a county
    whose snapshot (by content) and configuration are unchanged since it was last scored is taken from there.

    With a date asked for, one visit per snapshot finds its latest data date and scores it. Without, the shared
    date needs every county's latest first: a first visit reads only that (a third of a scoring), then each county
    is scored as of the earliest. (Scoring each at its own latest in the first visit wastes it: the earliest date is
    the stalest county's, so nearly every other county would be scored twice.)"""
    import os

    directory = Path(directory)
    if not directory.is_dir():
        return Region([])
    counties = discover(directory)
    workers = workers or min(os.cpu_count() or 1, 8)
    limit = {"time_limit_s": time_limit_s} if time_limit_s else {}
    hashes = _ContentHashes(cache_dir) if cache_dir else None
    contents = _content_keys(counties, hashes, workers) if hashes else [None] * len(counties)
    asked = as_of is not None
    latest: list[dt.date | None] = [None] * len(counties)
    done: list[County | None] = [c if not c.ok else None for c in counties]

    def cached_score(i: int, when: dt.date | None) -> County | None:
        return _cache_get(cache_dir, _score_key(contents[i], counties[i].name, when, lang), counties[i]) \
            if contents[i] else None

    for i in range(len(counties)):  # what the cache already has
        cached = _cache_read(cache_dir, _latest_key(contents[i])) if contents[i] else None
        if cached and cached.get("latest"):
            latest[i] = dt.date.fromisoformat(cached["latest"])
            done[i] = done[i] or (cached_score(i, as_of) if asked else None)
    todo = [i for i in range(len(counties)) if done[i] is None and (asked or latest[i] is None)]
    jobs = [Job(_fresh(counties[i]), as_of, lang, latest_only=not asked) for i in todo]
    for i, county in zip(todo, score_all(jobs, workers, isolate, **limit)):
        if county.ok:
            latest[i] = county.latest
            if contents[i]:
                _cache_write(cache_dir, _latest_key(contents[i]), {"latest": county.latest.isoformat()})
        if not county.ok or asked:
            done[i] = county
            if contents[i] and county.ok:
                _cache_put(cache_dir, _score_key(contents[i], counties[i].name, as_of, lang), county)
    if not asked:
        known = [d for d, c in zip(latest, done) if d and c is None]
        as_of = min(known) if known else None
        for i in range(len(counties)):
            done[i] = done[i] or cached_score(i, as_of)
        todo = [i for i in range(len(counties)) if done[i] is None]
        jobs = [Job(_fresh(counties[i], latest[i]), as_of, lang) for i in todo]
        for i, county in zip(todo, score_all(jobs, workers, isolate, **limit)):
            done[i] = county
            if contents[i] and county.ok:
                _cache_put(cache_dir, _score_key(contents[i], counties[i].name, as_of, lang), county)
    for county, own_latest in zip(done, latest):
        county.latest = own_latest or county.latest
    if hashes:
        hashes.save()
    _flag_duplicates(done, lang)
    return Region(done, as_of, asked)


def _fresh(county: County, latest: dt.date | None = None) -> County:
    """The county as discovered (with its latest data date when the first visit found it), to be scored."""
    return County(county.name, county.snapshot, county.config_path, latest=latest)


def _flag_duplicates(counties: list[County], lang: str) -> None:
    """Two snapshots claiming one county: both are kept, each named with its file, and flagged (issue 25, item 8)."""
    by_name: dict[str, list[County]] = {}
    for county in counties:
        by_name.setdefault(county.name, []).append(county)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        files = t("region_list_separator", lang).join(c.snapshot.name for c in same)
        for county in same:
            county.name = t("region_duplicate_name", lang, name=name, file=county.snapshot.name)
            county.duplicate_note = t("region_duplicate_county", lang, name=name, files=files)


# ------------------------------------------------------------------------------------------------ cache

CACHE_VERSION = 2  # bump when what is cached changes shape (2: keyed by the snapshot's content)


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


class _ContentHashes:
    """Each snapshot's SHA-256, remembered under its size, modification time and inode (hashing 1,489 files of
    2 MB costs seconds; a file is hashed again only when one of those changed)."""

    FILE = "content-hashes.json"

    def __init__(self, cache_dir: Path):
        import json

        self.path = cache_dir / self.FILE
        try:
            self.known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def of(self, path: Path) -> str:
        import hashlib

        stat = path.stat()
        key, seen = str(path), [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]
        entry = self.known.get(key)
        if isinstance(entry, list) and entry[:4] == seen:
            return entry[4]
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        self.known[key], self.changed = [*seen, digest], True
        return digest

    def save(self) -> None:
        import json

        if self.changed:
            _write_atomically(self.path, json.dumps(self.known))


def _content_key(county: County, hashes: _ContentHashes) -> str | None:
    """The snapshot's content and its configuration's, under this code and schema: what a score depends on."""
    import hashlib

    from metrics.core.config import DEFAULT_CONFIG

    try:
        snapshot = hashes.of(county.snapshot)
        config = county.config_path.read_bytes() if county.config_path else b"default" + DEFAULT_CONFIG.read_bytes()
    except OSError:
        return None  # scoring says why
    parts = [snapshot, hashlib.sha256(config).hexdigest(), store.STRUCTURE_VERSION, str(CACHE_VERSION),
             _code_fingerprint()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _content_keys(counties: list[County], hashes: _ContentHashes, workers: int) -> list[str | None]:
    """Each readable county's content key, hashed on `workers` threads (hashlib lets go of the GIL while it hashes:
    a first read of 1,489 snapshots of 3 MB spent 4.5 s here on one core, before any scoring started)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda c: _content_key(c, hashes) if c.ok else None, counties))


def _latest_key(content: str) -> str:
    return f"latest-{content}"


def _score_key(content: str, name: str, as_of: dt.date | None, lang: str) -> str:
    import hashlib

    return hashlib.sha256(f"{content}\n{name}\n{as_of}\n{lang}".encode()).hexdigest()


def _cache_read(cache_dir: Path, key: str) -> dict | None:
    import json

    try:
        data = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_atomically(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)  # a reader never sees half a file


def _cache_write(cache_dir: Path, key: str, data: dict) -> None:
    import json

    _write_atomically(cache_dir / f"{key}.json", json.dumps(data, ensure_ascii=False, default=str))


def _cache_get(cache_dir: Path, key: str, county: County) -> County | None:
    data = _cache_read(cache_dir, key)
    if not data or "results" not in data:
        return None
    results = []
    for r in data["results"]:
        r["deadline"] = dt.date.fromisoformat(r["deadline"])
        r["latest_record"] = dt.date.fromisoformat(r["latest_record"]) if r["latest_record"] else None
        results.append(KpiResult(**r))
    return County(data["name"], county.snapshot, county.config_path, data["config_note"], as_of=dt.date.fromisoformat(
        data["as_of"]), demo=data["demo"], results=results, plan_wan=data["plan_wan"], spent_wan=data["spent_wan"])


def _cache_put(cache_dir: Path, key: str, county: County) -> None:
    _cache_write(cache_dir, key, {
        "name": county.name, "config_note": county.config_note, "as_of": county.as_of.isoformat(),
        "demo": county.demo, "plan_wan": county.plan_wan, "spent_wan": county.spent_wan,
        "results": [r.as_json() for r in county.results]})


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
    for note in sorted({c.duplicate_note for c in region.counties if c.duplicate_note}):
        out.append(f"  ! {note}")
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
