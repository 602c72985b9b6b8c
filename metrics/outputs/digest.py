"""The digest (工作简报推送): what changed since the last digest, pushed to 企业微信, 钉钉 and e-mail.

What it says comes from the scorecard, the budget and the load log, never from a computation of its own: KPIs whose
status changed, new loads (ledger, rows, who), budget paid, deadlines within 60 days, KPIs without data for 90 days.

Delivery rules:
- channels are configured in the secrets file (`[digest.wecom]`, `[digest.dingtalk]`, `[digest.email]`; see docs/deploy.md);
- every digest sent and every attempt per channel, with the answer, is recorded (`digests`, `digest_sends`);
- a channel that failed is retried on the next run, before anything new, and reported until it succeeds;
- a digest with no change is not sent, and a set of changes already delivered to a channel is never sent there again;
- only aggregates, KPI names and the login that loaded go out: no ledger rows, no file names, no personal data
  (and `pii.scrub` masks any ID- or phone-like number as a last guard).

Network happens with no database connection open (the dashboard reads the file meanwhile).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from metrics.core.config import CountyConfig, default_config
from metrics.core.datasets import DATASETS
from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.kpi import budget
from metrics.kpi.formatting import format_value
from metrics.kpi.scorecard import latest_data_date, scorecard
from metrics.kpi.status import deadline_passed, status_name
from metrics.outputs import digest_channels
from metrics.outputs.digest_channels import WECOM_MAX_BYTES as WECOM_MAX_BYTES  # re-exported with the senders' pieces
from metrics.outputs.digest_channels import dingtalk_payload as dingtalk_payload
from metrics.outputs.digest_channels import dingtalk_url as dingtalk_url
from metrics.outputs.digest_channels import email_message as email_message
from metrics.outputs.digest_channels import wecom_payload as wecom_payload
from metrics.platform import pii, store
from metrics.platform.auth import secrets_path, update_secrets
from metrics.platform.secrets_file import SecretsProblem

DEADLINE_DAYS = 60  # deadlines this close are listed
STALE_DAYS = 90  # a KPI whose newest record is older than this is listed as without data
CHANNELS = digest_channels.CHANNELS  # name -> Channel: the one table (iterating it gives the names)


class DigestConfigError(DashboardError):
    """The [digest] section of the secrets file is unusable; `problems` lists every reason."""

    code = "digest_config"

    def __init__(self, problems: list[str]):
        super().__init__(problems="; ".join(problems))
        self.problems = problems  # SecretsProblem (both languages as a str) or, from update_secrets, plain words

    def problem_texts(self, lang: str = "zh") -> list[str]:
        return [p.text(lang) if isinstance(p, SecretsProblem) else p for p in self.problems]

    def message(self, lang: str = "zh") -> str:
        return t(self.code, lang, problems=t("semicolon_separator", lang).join(self.problem_texts(lang)))


# ----------------------------------------------------------------------------------------------- composing

@dataclass
class Digest:
    lang: str
    title: str
    since: dt.datetime
    as_of: dt.date
    status_changes: list[dict]  # kpi_id, name, before, after, value
    loads: list[dict]  # load_id, dataset, rows_added, rows_replaced, loaded_by, loaded_at, undone
    paid_wan: float  # paid since the last digest
    spent_wan: float
    budget_wan: float
    deadlines: list[dict]  # name, deadline, days_left, status (KPIs not yet achieved; open milestones)
    stale: list[dict]  # name, latest (date or None)
    statuses: dict[str, str]
    last_load_id: int
    demo: bool = False
    attach_briefing: bool = False
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def has_changes(self) -> bool:
        return bool(self.status_changes or self.loads or abs(self.paid_wan) > 1e-9)

    @property
    def change_key(self) -> str:
        """The identity of the changes (not of the wording or the send time): equal keys are the same news."""
        facts = {"status": sorted((c["kpi_id"], c["before"], c["after"]) for c in self.status_changes),
                 "loads": sorted(item["load_id"] for item in self.loads), "paid": round(self.paid_wan, 4),
                 "as_of": self.as_of.isoformat()}
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()

    @property
    def subject(self) -> str:
        demo = t("digest_demo", self.lang) if self.demo else ""
        return demo + t("digest_subject", self.lang, title=self.title, as_of=self.as_of)

    def _word(self, status: str) -> str:
        return status_name(status, self.lang)

    def sections(self) -> list[tuple[str, list[str]]]:
        """(heading, lines) in the order they are read; the one content model behind markdown, text and HTML."""
        lang = self.lang
        out: list[tuple[str, list[str]]] = []
        out.append((t("digest_kpis_whose_status_changed", lang), [
            t("digest_status_change", self.lang, name=c['name'], before=self._word(c['before']),
              after=self._word(c['after']), value=c['value'])
            for c in self.status_changes] or [t("digest_none", lang)]))
        load_lines = []
        for item in self.loads:
            name = DATASETS[item["dataset"]].label(self.lang)
            undone = t("digest_undone", lang) if item["undone"] else ""
            load_lines.append(
                t("digest_load_line", lang, name=name, rows_added=item['rows_added'],
                  rows_replaced=item['rows_replaced'], loaded_by=item['loaded_by'], loaded_at=item['loaded_at'], undone=undone))
        out.append((t("digest_new_loads", lang), load_lines or [t("digest_none", lang)]))
        share = self.spent_wan / self.budget_wan * 100 if self.budget_wan else 0.0
        out.append((t("digest_budget_paid", lang), [
            t("digest_paid_line", lang, paid_wan=self.paid_wan, spent_wan=self.spent_wan,
              budget_wan=self.budget_wan, share=share)]))
        out.append((t("digest_due_within_days", lang, days=DEADLINE_DAYS), [
            t("digest_deadline_line", lang, name=d['name'], deadline=d['deadline'], days_left=d['days_left'], state=d['state'])
            for d in self.deadlines] or [t("digest_none", lang)]))
        out.append((t("digest_kpis_without_data_for_days", lang, days=STALE_DAYS), [
            t("digest_stale_since", lang, name=s["name"], latest=s["latest"]) if s["latest"]
            else t("digest_stale_never", lang, name=s["name"])
            for s in self.stale] or [t("digest_none", lang)]))
        return out

    def _period(self) -> str:
        return t("digest_period", self.lang, since=self.since, as_of=self.as_of)

    def markdown(self) -> str:
        parts = [f"### {self.subject}", self._period()]
        for heading, lines in self.sections():
            parts.append(f"**{heading}**\n" + "\n".join(f"- {line}" for line in lines))
        return pii.scrub("\n\n".join(parts))

    def text(self) -> str:
        parts = [self.subject, self._period()]
        for heading, lines in self.sections():
            parts.append(f"{heading}\n" + "\n".join(f"  · {line}" for line in lines))
        return pii.scrub("\n\n".join(parts))

    def html(self) -> str:
        body = [f"<h2>{html.escape(self.subject)}</h2>", f"<p>{html.escape(self._period())}</p>"]
        for heading, lines in self.sections():
            items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
            body.append(f"<h3>{html.escape(heading)}</h3><ul>{items}</ul>")
        return pii.scrub('<html><body style="font-family: sans-serif">' + "".join(body) + "</body></html>")


def _has_digest_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """A database opened read-only before its first digest may not have the tables yet."""
    return bool(store.one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'digests' "
                               "AND database_name = current_database()")[0])


def last_digest(con: duckdb.DuckDBPyConnection) -> dict | None:
    if not _has_digest_tables(con):
        return None
    frame = store.query(con, "SELECT * FROM digests ORDER BY digest_id DESC LIMIT 1")
    return None if frame.empty else frame.iloc[0].to_dict()


def compose(con: duckdb.DuckDBPyConnection, since: dt.date | None = None, as_of: dt.date | None = None,
            lang: str = "zh", config: CountyConfig | None = None, previous: dict | None = None) -> Digest:
    """What changed since the last digest (or since `since`), and what is due or silent at `as_of`.

    `previous`: another record to compare with, holding a digest record's created_at, statuses, spent_wan and
    last_load_id (the public site compares with its last approved publication: metrics/outputs/publish_record.py)."""
    config = config or default_config()
    as_of = as_of or latest_data_date(con)
    results = scorecard(con, as_of, config, lang, with_forecast=False)
    if previous is None:
        previous = None if since else last_digest(con)
    if previous is not None:
        start = previous["created_at"].to_pydatetime() if hasattr(previous["created_at"], "to_pydatetime") \
            else previous["created_at"]
        before = json.loads(previous["statuses"])
        spent_before = float(previous["spent_wan"])
        after_load = int(previous["last_load_id"])
        load_filter, load_params = "load_id > ?", [after_load]
    else:
        since = since or as_of - dt.timedelta(days=7)  # the first digest looks back one week
        start = dt.datetime.combine(since, dt.time())
        before = {r.id: r.status for r in scorecard(con, since, config, lang, with_forecast=False)}
        spent_before = budget.wan(budget.budget_lines(con, since, config)["spent_wan"].sum())
        load_filter, load_params = "loaded_at >= ?", [start]
    changes = [{"kpi_id": r.id, "name": r.name, "before": before[r.id], "after": r.status,
                "value": format_value(r.id, r.value, lang)}
               for r in results if r.id in before and before[r.id] != r.status]
    loads = store.query(con, f"SELECT load_id, dataset, rows_added, rows_replaced, loaded_by, loaded_at, "
                             f"status = 'undone' AS undone FROM loads WHERE {load_filter} AND "
                             f"(rows_added > 0 OR rows_replaced > 0) ORDER BY load_id", load_params)
    spent = budget.wan(budget.budget_lines(con, as_of, config)["spent_wan"].sum())
    last_load = store.one(con, "SELECT coalesce(max(load_id), 0) FROM loads")[0]
    return Digest(
        lang=lang, title=config.county_name(lang), since=start, as_of=as_of,
        status_changes=changes, loads=[{**row,
                                        "loaded_by": _who(row["loaded_by"])} for row in loads.to_dict("records")],
        paid_wan=spent - spent_before, spent_wan=spent, budget_wan=config.budget_wan,
        deadlines=_deadlines(con, results, as_of, lang), stale=_stale(results, as_of),
        statuses={r.id: r.status for r in results}, last_load_id=int(last_load), demo=store.demo_loaded(con))


def _who(login) -> str:
    """Who loaded, as the team knows them: the login, without an e-mail address's domain (OIDC logins are
    e-mail addresses, which do not go out in a group message)."""
    text = str(login or "—")
    return text.split("@", 1)[0] if "@" in text else text


def _deadlines(con, results, as_of: dt.date, lang: str) -> list[dict]:
    from metrics.kpi.views import milestones

    soon = as_of + dt.timedelta(days=DEADLINE_DAYS)
    items = [{"name": r.name, "deadline": r.deadline, "days_left": (r.deadline - as_of).days, "state": r.status_label}
             for r in results if not deadline_passed(as_of, r.deadline) and r.deadline <= soon and r.status not in ("achieved",)]
    open_milestones = milestones(con, as_of)
    for row in open_milestones.itertuples():
        end = row.planned_end.date() if hasattr(row.planned_end, "date") else row.planned_end
        if row.state in ("in_progress", "not_started") and not deadline_passed(as_of, end) and end <= soon:
            items.append({"name": f"{row.milestone_id} {row.task}", "deadline": end, "days_left": (end - as_of).days,
                          "state": t("digest_open", lang)})
    return sorted(items, key=lambda d: (d["deadline"], d["name"]))


def _stale(results, as_of: dt.date) -> list[dict]:
    cutoff = as_of - dt.timedelta(days=STALE_DAYS)
    return [{"name": r.name, "latest": r.latest_record} for r in results
            if r.latest_record is None or r.latest_record < cutoff]


# ---------------------------------------------------------------------------------------------- channels

def load_channels(path: Path | None = None) -> dict[str, dict]:
    """The configured channels from the secrets file's [digest.*] tables, checked; {} when none."""
    path = path or secrets_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DigestConfigError([SecretsProblem(str(path), "secrets_not_toml", detail=str(exc))]) from None
    return check_channels(data)


def check_channels(data: dict) -> dict[str, dict]:
    """The channels of a parsed secrets file's [digest.*] tables; DigestConfigError lists every problem (the rules
    are digest_channels.channel_problems, the ones the secrets file's validator runs at load)."""
    problems = digest_channels.channel_problems(data)
    if problems:
        raise DigestConfigError(problems)
    raw = data.get("digest", {})
    return {name: dict(raw[name]) for name in CHANNELS if name in raw}


def write_channel(channel: str, settings: dict, path: Path | None = None) -> None:
    """Set one channel's [digest.<channel>] table in the secrets file, keeping everything else in it. The result
    is checked before it is written: on any problem DigestConfigError lists them all and the file is unchanged.
    Written by auth.update_secrets, the secrets file's one writer (0600 from the first byte, atomic)."""
    if channel not in CHANNELS:
        raise DigestConfigError([SecretsProblem(f"digest.{channel}", "digest_problem_unknown_channel",
                                                known=", ".join(CHANNELS))])
    entry = {key: value for key, value in settings.items() if value not in (None, "", [])}

    def change(data: dict) -> None:
        data.setdefault("digest", {})[channel] = entry

    try:
        update_secrets(change, check_channels, path)
    except ValueError as exc:  # the file as it stands is not TOML
        both = f"{exc.message('zh')} / {exc.message('en')}" if isinstance(exc, DashboardError) else str(exc)
        raise DigestConfigError([both]) from None


def deliver(channel: str, record: dict, config: dict, pdf: bytes | None = None) -> tuple[bool, str]:
    """Send one stored digest to one channel (digest_channels.CHANNELS); (ok, answer). Never raises for a network
    failure."""
    return digest_channels.CHANNELS[channel].send(record, config, pdf)


# ------------------------------------------------------------------------------------------------ running

@dataclass
class SendReport:
    composed: Digest | None = None
    sent: list[tuple[int, str, bool, str]] = field(default_factory=list)  # digest_id, channel, ok, answer
    skipped: list[tuple[str, str]] = field(default_factory=list)  # channel, reason
    nothing_new: bool = False

    @property
    def failed(self) -> list[tuple[int, str, bool, str]]:
        return [s for s in self.sent if not s[2]]


def pending(con: duckdb.DuckDBPyConnection, channels: list[str]) -> list[tuple[int, str]]:
    """(digest_id, channel) pairs whose every attempt failed: retried on the next run."""
    if not channels:
        return []
    rows = con.execute("""
        SELECT digest_id, channel FROM digest_sends WHERE channel IN (SELECT unnest(?))
        GROUP BY ALL HAVING NOT bool_or(ok) ORDER BY digest_id, channel""", [channels]).fetchall()
    return [(int(d), c) for d, c in rows]


def _record(con, digest_id: int) -> dict:
    record = store.query(con, "SELECT * FROM digests WHERE digest_id = ?", [digest_id]).iloc[0].to_dict()
    record["as_of"] = record["as_of"].date() if hasattr(record["as_of"], "date") else record["as_of"]
    return record


def _delivered(con, change_key: str, channel: str) -> bool:
    row = store.one(con, """SELECT count(*) FROM digest_sends s JOIN digests d USING (digest_id)
                            WHERE d.change_key = ? AND s.channel = ? AND s.ok""", [change_key, channel])
    return bool(row[0])


def _save(con, digest: Digest) -> int:
    digest_id = store.one(con, "SELECT coalesce(max(digest_id), 0) + 1 FROM digests")[0]
    con.execute("INSERT INTO digests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        digest_id, digest.created_at, digest.since, digest.as_of, digest.lang, digest.change_key,
        json.dumps(digest.statuses), digest.spent_wan, digest.last_load_id, digest.subject, digest.markdown(),
        digest.text(), digest.html(), digest.attach_briefing])
    return int(digest_id)


def run(db_path: Path | str | None, since: dt.date | None = None, as_of: dt.date | None = None, lang: str = "zh",
        attach_briefing: bool = False, channels: dict[str, dict] | None = None,
        briefing_pdf: Callable[[dt.date, str], bytes] | None = None) -> SendReport:
    """Retry what failed before, then compose, record and send the new digest to every configured channel.

    The database is opened for the reading and the recording only; every network call runs with it closed.
    """
    channels = load_channels() if channels is None else channels
    names = list(channels)
    report = SendReport()
    con = store.connect(db_path, retries=5)
    try:
        retries = [(_record(con, d), c) for d, c in pending(con, names)]
        digest = compose(con, since, as_of, lang)
        digest.attach_briefing = attach_briefing
        if not digest.has_changes:
            report.nothing_new = True
            new_id = None
        else:
            fresh = [c for c in names if not _delivered(con, digest.change_key, c)]
            report.skipped = [(c, "already delivered") for c in names if c not in fresh]
            new_id = _save(con, digest) if fresh else None
            new_record = _record(con, new_id) if new_id else None
        report.composed = digest
    finally:
        con.close()
    jobs = [(record, c) for record, c in retries]
    if new_id:
        jobs += [(new_record, c) for c in fresh]
    pdfs: dict[tuple, bytes] = {}
    outcomes = []
    for record, channel in jobs:
        pdf = None
        if digest_channels.CHANNELS[channel].attaches_briefing and record["attach_briefing"]:
            key = (record["as_of"], record["lang"])
            if key not in pdfs:
                pdfs[key] = (briefing_pdf or _briefing_pdf(db_path))(record["as_of"], record["lang"])
            pdf = pdfs[key]
        ok, answer = deliver(channel, record, channels[channel], pdf)
        outcomes.append((int(record["digest_id"]), channel, ok, answer, dt.datetime.now()))
    if outcomes:
        con = store.connect(db_path, retries=10)
        try:
            con.executemany("INSERT INTO digest_sends VALUES (?, ?, ?, ?, ?)",
                            [[d, c, when, ok, answer] for d, c, ok, answer, when in outcomes])
        finally:
            con.close()
    report.sent = [(d, c, ok, answer) for d, c, ok, answer, _ in outcomes]
    return report


def _briefing_pdf(db_path) -> Callable[[dt.date, str], bytes]:
    def make(as_of, lang: str) -> bytes:
        from metrics.outputs import briefing

        con = store.connect(db_path, read_only=True, retries=5)
        try:
            content = briefing.build(con, as_of, None, lang, with_charts=False)
        finally:
            con.close()  # the charts and the PDF are rendered with the database closed
        briefing.render_charts(content)
        return briefing.to_pdf(content)
    return make


def history(con: duckdb.DuckDBPyConnection, limit: int = 20):
    """The last digests with each channel's latest answer, for the data page (no message bodies)."""
    if not _has_digest_tables(con):
        return store.query(con, "SELECT NULL::BIGINT AS digest_id WHERE FALSE")
    return store.query(con, """
        SELECT d.digest_id, d.created_at, d.as_of, d.subject, s.channel, s.attempted_at, s.ok, s.answer,
               count(*) OVER (PARTITION BY d.digest_id, s.channel) AS attempts
        FROM digests d LEFT JOIN digest_sends s USING (digest_id)
        QUALIFY s.attempted_at IS NULL OR row_number() OVER (PARTITION BY d.digest_id, s.channel
                                                             ORDER BY s.attempted_at DESC) = 1
        ORDER BY d.digest_id DESC, s.channel LIMIT ?""", [limit])


def channel_name(channel: str, lang: str = "zh") -> str:
    return t(f"digest_channel_{channel}", lang) if channel in CHANNELS else channel


def report_lines(report: SendReport, lang: str = "zh") -> list[str]:
    lines = []
    if report.nothing_new:
        lines.append(t("digest_nothing_new", lang))
    for channel, _ in report.skipped:
        lines.append(t("digest_already_delivered", lang, channel_name=channel_name(channel, lang)))
    for digest_id, channel, ok, answer in report.sent:
        state = t("digest_delivered" if ok else "digest_failed_retried", lang)
        lines.append(t("digest_sent_line", lang, digest_id=digest_id, channel_name=channel_name(channel, lang),
                       state=state, answer=answer))
    return lines

