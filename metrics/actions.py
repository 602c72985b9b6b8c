"""Every action that changes data, with its permission check. Pages and the command line call these, so a role
is enforced where the action runs, whatever request reaches it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from metrics.core import filenames
from metrics.core.config import default_config
from metrics.core.errors import DashboardError
from metrics.core.i18n import t
from metrics.core.registry import KPIS
from metrics.kpi import scorecard
from metrics.load import ingest
from metrics.platform import faults, store
from metrics.platform.auth import ROLES, User, require

EVIDENCE_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


class ActionRefused(DashboardError):
    """The action is allowed but cannot be done: its code (a message key) and values say why."""


@dataclass
class KpiChange:
    """What a previewed load would do to one KPI at the preview's as-of date."""

    kpi_id: str
    before: float | None
    after: float | None
    status_before: str
    status_after: str


def load_files(con, user: User, files: list[tuple[str, bytes]], dataset: str | None = None,
               dry_run: bool = False, preview_as_of: dt.date | None = None,
               replace: bool = False) -> ingest.BatchResult:
    """Load a batch; with dry_run, check and stage it, measure the KPIs it moves at `preview_as_of` (default: the
    latest data date), and roll it back."""
    require(user, "load")
    if not dry_run:
        return ingest.ingest_files(con, files, dataset, user=user.login, replace=replace)
    as_of = preview_as_of or scorecard.latest_data_date(con)
    config = default_config()

    def kpis_of(connection, datasets: set[str]) -> dict:
        facts = scorecard.LedgerFacts.read(connection, as_of)  # once for all the KPIs, not once each
        return {k.id: scorecard.evaluate(connection, k, as_of, config, with_forecast=False, facts=facts)
                for k in KPIS if datasets & set(k.datasets)}

    result = ingest.ingest_files(con, files, dataset, user=user.login, dry_run=True, probe=kpis_of, replace=replace)
    if result.probed:
        before, after = result.probed
        result.kpi_changes = [KpiChange(k, before[k].value, after[k].value, before[k].status, after[k].status)
                              for k in before]
    return result


def load_paths(con, user: User, paths: list, dataset: str | None = None, replace: bool = False) -> ingest.BatchResult:
    """Load files from disk (the command line)."""
    require(user, "load")
    return ingest.ingest_paths(con, paths, dataset, user=user.login, replace=replace)


def undo_load(con, user: User, load_id: int) -> ingest.UndoResult:
    require(user, "undo")
    return ingest.undo_checked(con, load_id, user=user.login)


def attach_evidence(con: duckdb.DuckDBPyConnection, user: User, load_id: int, file_name: str, content: bytes) -> str:
    """Store a supporting file (scan, photo, invoice) for a load, by content hash; returns the hash."""
    require(user, "attach")
    refused_name = filenames.problem(file_name)  # a name unzip cannot create, or a terminal would act on
    if refused_name:
        raise ActionRefused(refused_name, file_name=filenames.shown(file_name), limit=filenames.MAX_NAME_BYTES)
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix not in EVIDENCE_TYPES:
        raise ActionRefused("action_evidence_type", file_name=file_name)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ActionRefused("action_evidence_too_large", file_name=file_name)
    if not store.one(con, "SELECT count(*) FROM loads WHERE load_id = ?", [load_id])[0]:
        raise ActionRefused("undo_unknown", load_id=load_id)
    digest = hashlib.sha256(content).hexdigest()
    with store.transaction(con, faults.write_estimate(len(content))):
        con.execute("INSERT INTO evidence_files VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [digest, content, len(content), EVIDENCE_TYPES[suffix]])
        con.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [load_id, digest, file_name, user.login, dt.datetime.now().replace(microsecond=0)])
    return digest


def evidence_list(con, load_id: int | None = None):
    where = "WHERE e.load_id = ?" if load_id is not None else ""
    return store.query(con, f"""
        SELECT e.load_id, e.file_name, e.sha256, f.size, f.mime, e.added_by, e.added_at
        FROM evidence e JOIN evidence_files f USING (sha256) {where} ORDER BY e.added_at""",
                       [load_id] if load_id is not None else [])


def evidence_content(con, sha256: str) -> bytes | None:
    row = store.one(con, "SELECT content FROM evidence_files WHERE sha256 = ?", [sha256])
    return bytes(row[0]) if row else None


def acceptance_files(user: User, data, progress=None) -> dict[str, bytes]:
    """The acceptance pack (report, 绩效自评表, evidence zip) from data read by acceptance.collect.

    Editors only: the files go to the commerce and finance departments under the county's name. Viewers see the
    same figures in the page's preview. Built without a database connection (collect has read everything).
    """
    require(user, "acceptance")
    from metrics.outputs.acceptance_pack import build

    return build(data, progress)


def edit_self_evaluation(con: duckdb.DuckDBPyConnection, user: User, sheet: str, row_key: str, text: str) -> None:
    """An editor writes the 绩效自评表's 实际完成情况 (row_key "goal") or a row's 偏差原因分析及改进措施 in the county's
    own words; stored with who and when, kept when the pack is made again. Empty text returns to the generated one."""
    require(user, "acceptance")
    from metrics.core.registry import KPI_BY_ID
    from metrics.outputs.self_evaluation_edits import GOAL, MAX_CHARS

    if not (sheet == "project" or (sheet.isdigit() and len(sheet) == 4)):
        raise ActionRefused("action_selfeval_bad_row", sheet=sheet, row=row_key)
    if row_key not in (GOAL, "timeliness", "cost", "satisfaction") and row_key not in KPI_BY_ID:
        raise ActionRefused("action_selfeval_bad_row", sheet=sheet, row=row_key)
    text = str(text).strip()
    if len(text) > MAX_CHARS:
        raise ActionRefused("action_selfeval_too_long", n=len(text), limit=MAX_CHARS)
    with store.transaction(con):
        con.execute("DELETE FROM self_evaluation_edits WHERE sheet = ? AND row_key = ?", [sheet, row_key])
        if text:
            con.execute("INSERT INTO self_evaluation_edits VALUES (?, ?, ?, ?, now())", [sheet, row_key, text,
                                                                                          user.login])


def set_role(con, user: User, login: str, role: str) -> None:
    """An admin assigns a role to a login (an OIDC e-mail or a local account)."""
    require(user, "manage_users")
    if role not in ROLES:
        raise ActionRefused("action_unknown_role", roles_zh=t("list_separator", "zh").join(ROLES),
                            roles_en=t("list_separator", "en").join(ROLES))
    con.execute("INSERT INTO user_roles VALUES (?, ?, ?, ?) ON CONFLICT (login) DO UPDATE SET role = excluded.role, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                [login.strip(), role, user.login, dt.datetime.now().replace(microsecond=0)])


def role_assignments(con, user: User):
    """Every role an admin has assigned (login, role, by whom, when), for the admin's page."""
    require(user, "manage_users")
    return store.query(con, "SELECT login, role, updated_by, updated_at FROM user_roles ORDER BY login")


def assigned_role(con, login: str) -> str | None:
    row = store.one(con, "SELECT role FROM user_roles WHERE login = ?", [login])
    return row[0] if row else None


def configure_digest_channel(user: User, channel: str, settings: dict) -> None:
    """Set a digest channel (企业微信, 钉钉, e-mail) in the secrets file: admins only (issue 19)."""
    from metrics.outputs.digest import write_channel

    require(user, "manage_users")
    write_channel(channel, settings)


def write_region_demo(user: User, directory) -> list:
    """Write the seven Altay demo county snapshots (演示数据) for the region page: editors and admins (issue 19)."""
    from metrics.demo import write_demo

    require(user, "load")
    return write_demo(directory)


def prepare_publication(con, user: User, as_of: dt.date | None = None, lang: str = "zh",
                        with_pdf: bool = True) -> tuple[int, dict[str, bytes]]:
    """政务公开 (issue 28): an editor prepares the public site at `as_of`; it is recorded (not yet approved) and its
    files returned for the preview. Refused (PublicationRefused, naming the field) when it would carry personal data."""
    require(user, "publish")
    from metrics.outputs import publish, publish_record, publish_site

    pub = publish_site.content(con, as_of, lang)
    files = publish_site.build(pub, publish.person_names(con), pdf=publish_site.print_pdf if with_pdf else None)
    return publish_record.record(con, pub, files, user.login), files


def approve_publication(con, user: User, publication_id: int) -> None:
    """An administrator other than the one who prepared it approves a publication (信息公开审核)."""
    require(user, "approve_publication")
    from metrics.outputs import publish_record

    publish_record.approve(con, publication_id, user.login)


def publication_zip(con, user: User, publication_id: int) -> bytes:
    """The site of an approved publication as a zip, for the county's webmaster; refused before approval."""
    require(user, "publish")
    from metrics.outputs import publish_record

    return publish_record.approved_zip(con, publication_id)
