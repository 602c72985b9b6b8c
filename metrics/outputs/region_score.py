"""Scoring county snapshots: each in a capped child process, several per child, cached by file content (issues 25, 26).

A snapshot is someone else's file. It is opened locked down and its catalogue checked (snapshot_check.py), in a child
process (`python -m metrics.outputs.region_score`, started like the SQL sandbox's: its own session, an empty folder,
none of the dashboard's KPI_* settings) whose address space is capped before it reads anything. A child takes a
batch of snapshots, attaches them GROUP at a time to one locked-down connection (one catalogue check, one version
query and one query per KPI for the group: metrics/kpi/grouped.py; one by one if a group query fails), and answers each county as soon as it is scored (a length-prefixed pickle), so the parent gives every snapshot its
own time limit: a snapshot that runs past it, or kills its child (memory), becomes that county's row with the
reason, the child is killed with its work, and the rest of the batch goes to a fresh child (which takes the next
GROUP one by one first, so a failure inside a group is charged to the snapshot that caused it).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from metrics.core.config import ConfigError, default_config, load_config
from metrics.core.i18n import t
from metrics.kpi import grouped
from metrics.kpi.scorecard import latest_data_date, scorecard
from metrics.outputs import snapshot_check
from metrics.platform import sandbox, store

TIME_LIMIT_S = 20.0  # per snapshot; the demo's counties take ~0.1 s
START_S = 10.0  # a child's own start (Python, DuckDB and the KPI code imported) on a loaded machine
ADDRESS_SPACE_BYTES = 1024 * 2**20  # a scoring child: Python, DuckDB and one snapshot's queries
ANSWER_CAP = 2 * 2**20  # one scored county's pickle is a few kB
PER_CHILD_FROM = 16  # fewer snapshots than this share one child: a child's start (~0.5 s) costs more than they do
# Snapshots attached to one connection and checked together (score_group). 32 rather than 16: the group's fixed
# costs (the catalogue listing, one plan per KPI) spread over twice the counties, ~10 % less CPU a county; a child
# holds ~280-360 MB of its 1 GB cap with 32 demo-sized snapshots.
GROUP = 32
# ... and at most this many bytes of snapshots: a group's shared queries must answer its first county within the
# time limit and fit the child's cap. 32 demo-sized snapshots are ~100 MB; a county at a hundred times the demo
# (~300 MB) is scored alone, as any snapshot whose size cannot be read.
GROUP_BYTES = 256 * 2**20
CHILD_COMMAND = [sys.executable, "-m", "metrics.outputs.region_score"]
_LENGTH = struct.Struct(">Q")


@dataclass
class Job:
    """Score `county` as of `as_of` (None: as of its own latest data date), or only find its latest data date."""
    county: object  # metrics.outputs.region.County (not imported: region imports this module)
    as_of: dt.date | None
    lang: str
    latest_only: bool = False
    ready: Ready | None = None  # set in the child: what the group's queries already read for this county


@dataclass
class Ready:
    """What one county's scoring needs, read for its whole group at once (metrics/kpi/grouped.py)."""
    version_problem: tuple[str, dict] | None
    config: object = None  # its CountyConfig, or None for a `latest_only` job
    latest: dt.date | None = None
    as_of: dt.date | None = None
    facts: object = None  # LedgerFacts at `as_of`
    values: dict | None = None  # KPI id -> (value, detail) at `as_of`


def fail(county, key: str, **values):
    county.problem_key, county.problem_values = key, values
    return county


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def score_group(jobs: list[Job]) -> Iterator:
    """Attach the group's snapshots read-only to one in-memory DuckDB, lock it down (snapshot_check: the SQL
    sandbox's settings), check every catalogue in one go, then score each in turn, yielding each county as it is
    done. One connection and one catalogue check for several snapshots: each costs ~15 ms whatever their number."""
    con, attached, errors = snapshot_check.open_snapshots([job.county.snapshot for job in jobs])
    try:
        unreadable = {k: fail(jobs[k].county, "region_unreadable", detail=_first_line(exc)) for k, exc in errors.items()}
        problems = snapshot_check.catalog_problems(con, list(attached.values())) if attached else {}
        ready = _read_group(con, jobs, attached, problems)
        for k, job in enumerate(jobs):  # None: read on its own (also when retried alone after its group failed)
            job.ready = ready.get(k)
        for k, job in enumerate(jobs):
            if k in unreadable:
                yield unreadable[k]
                continue
            yield score_attached(con, attached[k], job, problems[attached[k]])
            con.execute("USE memory")
            con.execute(f"DETACH {attached[k]}")
    finally:
        con.close()


def _read_group(con: duckdb.DuckDBPyConnection, jobs: list[Job], attached: dict[int, str],
                problems: dict) -> dict[int, Ready]:
    """The group's versions, latest data dates, ledger facts and KPI values, one query each (or per KPI) for all its
    snapshots that passed the catalogue check. If any query fails (a value one snapshot's query cannot take), {}:
    each county is then read on its own, and the failure is that county's row alone."""
    places = [k for k in attached if problems[attached[k]] is None]
    if len(places) < 2:
        return {}  # one county: its own queries are the group's
    try:
        versions = store.structure_versions(con, [attached[k] for k in places])
        ready = {k: Ready(None if version == store.STRUCTURE_VERSION else
                          ("region_schema_version", {"version": version[:40], "ours": store.STRUCTURE_VERSION}))
                 for k, version in zip(places, versions)}
        places = [k for k in places if ready[k].version_problem is None]
        for k in places:
            if not jobs[k].latest_only:
                ready[k].config = _config(jobs[k].county)
        dateless = [k for k in places if jobs[k].county.latest is None]
        for k, latest in zip(dateless, grouped.latest_data_dates(con, [attached[k] for k in dateless])):
            ready[k].latest = latest
        scored = [k for k in places if not jobs[k].latest_only and not isinstance(ready[k].config, tuple)]
        for k in scored:
            ready[k].as_of = jobs[k].as_of or jobs[k].county.latest or ready[k].latest
        inputs = grouped.scorecard_inputs(con, [attached[k] for k in scored], [ready[k].as_of for k in scored],
                                          [ready[k].config for k in scored]) if scored else []
        for k, (facts, values) in zip(scored, inputs):
            ready[k].facts, ready[k].values = facts, values
    except (duckdb.Error, ValueError, TypeError, ArithmeticError) as exc:  # noqa: F841 -- told one by one instead
        return {}
    return ready


def _config(county):
    """The county's configuration, or the reason it has none (key, values)."""
    try:
        return load_config(county.config_path) if county.config_path else default_config()
    except ConfigError as exc:
        return ("region_config_problems",
                {"problems_zh": t("semicolon_separator", "zh").join(exc.problem_texts("zh")),
                 "problems_en": t("semicolon_separator", "en").join(exc.problems)})
    except (OSError, ValueError) as exc:  # unreadable, or not text (UnicodeDecodeError)
        return "region_not_scored", {"detail": _first_line(exc)}


def score_attached(con: duckdb.DuckDBPyConnection, database: str, job: Job, problem: tuple[str, dict] | None):
    """Find the attached snapshot's latest data date and score it with its own configuration (or stop at the date:
    `latest_only`). Never raises for a bad file: every failure is the county's problem (key and values)."""
    county, ready = job.county, job.ready
    config = None
    if not job.latest_only:
        config = ready.config if ready and ready.config is not None else _config(county)
        if isinstance(config, tuple):
            return fail(county, config[0], **config[1])
        if county.config_path is None:
            county.config_note = t("region_no_configuration_of_its_own", job.lang)
        if county.name == county.snapshot.stem and config.name and county.config_path is not None:
            county.name = config.county_name(job.lang)
    reason = problem or (ready.version_problem if ready else _version_problem(con, database))
    if reason:
        return fail(county, reason[0], **reason[1])
    try:
        con.execute(f"USE {database}")  # the scorecard's queries name tables unqualified
        if county.latest is None:  # known from the first visit when scoring at the shared date
            county.latest = ready.latest if ready and ready.latest else latest_data_date(con)
        if job.latest_only:
            return county
        county.as_of = job.as_of or county.latest
        read = ready and ready.values is not None and ready.as_of == county.as_of
        county.results = scorecard(con, county.as_of, config, job.lang, with_forecast=False,
                                   facts=ready.facts if read else None, values=ready.values if read else None)
        county.demo = store.demo_loaded(con)
    except duckdb.CatalogException as exc:
        return fail(county, "region_tables_missing", detail=_first_line(exc))
    except (duckdb.Error, ConfigError, ValueError, TypeError, ArithmeticError) as exc:  # a bad value in a ledger
        return fail(county, "region_not_scored", detail=_first_line(exc))
    # Spent to date is the budget KPI's own figure (registry: sum of expenditures up to as-of).
    budget_kpi = next(r for r in county.results if r.id == "budget_execution_rate")
    county.plan_wan = config.budget_wan
    county.spent_wan = float(budget_kpi.detail.get("spent_wan") or 0.0)
    return county


def _version_problem(con: duckdb.DuckDBPyConnection, database: str) -> tuple[str, dict] | None:
    """None when the attached snapshot is of this dashboard's schema version, else the reason (key, values)."""
    version = store.structure_version(con, database)
    if version is None:
        return "region_no_meta", {}
    if version != store.STRUCTURE_VERSION:
        return "region_schema_version", {"version": version[:40], "ours": store.STRUCTURE_VERSION}
    return None


# ------------------------------------------------------------------------------------------------ parent

def score_all(jobs: list[Job], workers: int = 2, isolate: bool = True, time_limit_s: float = TIME_LIMIT_S,
              address_space: int = ADDRESS_SPACE_BYTES) -> list:
    """Every job's county, scored or with its problem, in the jobs' order. `isolate=False` scores here, with the
    same locked-down reading but without the child's time and memory caps (fast tests only)."""
    if not jobs:
        return []
    if not isolate:
        return [county for group in _groups(jobs, 0) for county in score_group(group)]
    shares = max(1, min(workers, len(jobs) // PER_CHILD_FROM))
    parts = [jobs[k::shares] for k in range(shares)]
    with ThreadPoolExecutor(shares) as pool:  # each thread waits on its own child
        answers = list(pool.map(lambda part: _score_share(part, time_limit_s, address_space), parts))
    done = [None] * len(jobs)
    for k, answer in enumerate(answers):
        done[k::shares] = answer
    return done


def _groups(jobs: list[Job], single_first: int) -> list[list[Job]]:
    """The first `single_first` jobs one by one, then groups of at most GROUP snapshots and GROUP_BYTES, in order."""
    groups: list[list[Job]] = [[job] for job in jobs[:single_first]]
    size = 0
    for job in jobs[single_first:]:
        try:
            bytes_ = os.stat(job.county.snapshot).st_size
        except (OSError, TypeError, ValueError):
            bytes_ = GROUP_BYTES  # unreadable here: alone (scoring says why)
        if len(groups) <= single_first or len(groups[-1]) == GROUP or size + bytes_ > GROUP_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(job)
        size += bytes_
    return groups


def _score_share(jobs: list[Job], time_limit_s: float, address_space: int) -> list:
    """A share of the jobs through as many children as it takes: each failure costs its child, not the rest. A
    child that fails in a group (the culprit could be any snapshot of it) is followed by one that takes the next
    GROUP snapshots one by one, so the failure is charged to the snapshot that caused it."""
    done: list = []
    single_first = 0
    while len(done) < len(jobs):
        answered, failure = _score_in_child(jobs[len(done):], single_first, time_limit_s, address_space)
        done += answered
        if failure is None:
            continue
        if len(answered) < single_first or GROUP == 1:  # it was alone: its own failure
            done.append(fail(jobs[len(done)].county, failure[0], **failure[1]))
            single_first = 0
        else:
            single_first = GROUP
    return done


def _score_in_child(jobs: list[Job], single_first: int, time_limit_s: float,
                    address_space: int) -> tuple[list, tuple[str, dict] | None]:
    """The counties one child answered before it ended, and why it ended early (None: it did not)."""
    payload = pickle.dumps({"jobs": jobs, "single_first": single_first, "address_space": address_space})
    frames: list[bytes] = []
    read = [0]

    def progress(out: bytearray) -> float | None:  # each county answered: the next one gets its own time limit
        before = len(frames)
        while len(out) - read[0] >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(out, read[0])
            if len(out) - read[0] - _LENGTH.size < size:
                break
            frames.append(bytes(out[read[0] + _LENGTH.size:read[0] + _LENGTH.size + size]))
            read[0] += _LENGTH.size + size
        return time.monotonic() + time_limit_s if len(frames) > before else None

    failure: tuple[str, dict] | None = None
    with tempfile.TemporaryDirectory(prefix="kpi-region-") as empty:
        child = sandbox.start_child(CHILD_COMMAND, empty)
        try:
            out = sandbox.exchange(child, payload, time.monotonic() + START_S + time_limit_s,
                                   ANSWER_CAP * len(jobs), progress)
            if out is None:
                failure = ("region_answer_too_large", {"mb": ANSWER_CAP // 2**20})
        except subprocess.TimeoutExpired:
            failure = ("region_timeout", {"seconds": f"{time_limit_s:g}"})
        finally:
            sandbox.stop_child(child)
    done = []
    for frame in frames:
        try:
            done.append(pickle.loads(frame))  # noqa: S301 -- our own child's answer, over a pipe
        except Exception:  # a frame cut by the memory cap
            break
    if len(done) < len(jobs) and failure is None:
        failure = ("region_child_ended", {"mb": address_space // 2**20})
    return done, failure


# ------------------------------------------------------------------------------------------------- child

def _child() -> None:
    """In the child: cap memory first, then score the snapshots group by group, answering each county at once."""
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 -- written by _score_in_child in the parent
    sandbox.cap_address_space(job["address_space"])
    for group in _groups(job["jobs"], job["single_first"]):
        _answer_group(group, job["address_space"] // 2**20)


def _answer_group(group: list[Job], mb: int) -> None:
    """Score a group and answer each county; if something raises, the unanswered ones again one by one, so the
    failure is charged to the snapshot that caused it."""
    answered = 0
    try:
        for county in score_group(group):
            _answer(county)
            answered += 1
        return
    except MemoryError:
        reason: tuple[str, dict] = ("region_child_ended", {"mb": mb})
    except Exception as exc:  # anything else a file could provoke: that county's row, the rest go on
        reason = ("region_not_scored", {"detail": _first_line(exc)})
    if len(group) == 1:
        _answer(fail(group[0].county, reason[0], **reason[1]))
        return
    for rest in group[answered:]:
        _answer_group([rest], mb)


def _answer(county) -> None:
    frame = pickle.dumps(county)
    sys.stdout.buffer.write(_LENGTH.pack(len(frame)) + frame)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _child()
