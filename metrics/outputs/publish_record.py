"""The record of every publication (信息公开审核): prepared by an editor, approved by an administrator, and only then
downloadable. The `publications` table (metrics/platform/store.py) keeps, per publication: when and by whom it was
prepared, its as-of date and language, the digest of its files, the site itself (a zip) and who approved it when.

The 更新记录 a publication shows compares it with the last *approved* publication of other data (a publication of
the same data says the same thing, so publishing twice gives the same bytes), by the digest's change detection
(metrics.outputs.digest.compose with that publication as its previous record).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from metrics.outputs import digest
from metrics.outputs.publish import Publication, PublicationRefused, files_digest, zip_bytes
from metrics.platform import store


def add_changes(con: duckdb.DuckDBPyConnection, pub: Publication) -> None:
    """Fill `pub.changes` (None for the first publication) and `pub.earlier` from the approved records."""
    approved = store.query(con, """
        SELECT publication_id, approved_at, as_of, statuses, spent_wan, last_load_id FROM publications
        WHERE approved_at IS NOT NULL AND data_key <> ? ORDER BY approved_at, publication_id""", [pub.data_key])
    pub.earlier = sorted({pd.Timestamp(day).date() for day in approved["as_of"]})
    if approved.empty:
        pub.changes = None
        return
    last = approved.iloc[-1].to_dict()
    previous = {"created_at": pd.Timestamp(last["approved_at"]).to_pydatetime(), "statuses": last["statuses"],
                "spent_wan": last["spent_wan"], "last_load_id": last["last_load_id"]}
    news = digest.compose(con, as_of=pub.as_of, lang=pub.lang, config=pub.config, previous=previous)
    pub.changes = {"since": pd.Timestamp(last["as_of"]).date(), "status_changes": news.status_changes,
                   "loads": [{"dataset": item["dataset"], "rows_added": int(item["rows_added"]),
                              "rows_replaced": int(item["rows_replaced"]), "undone": bool(item["undone"])}
                             for item in news.loads],
                   "paid_wan": news.paid_wan}


def record(con: duckdb.DuckDBPyConnection, pub: Publication, files: dict[str, bytes], prepared_by: str) -> int:
    """Store a prepared publication; returns its number. Not yet approved: not downloadable."""
    last_load = store.one(con, "SELECT coalesce(max(load_id), 0) FROM loads")[0]
    facts = pub.record_facts()
    with store.transaction(con):
        number = store.one(con, "SELECT coalesce(max(publication_id), 0) + 1 FROM publications")[0]
        con.execute("INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [number, dt.datetime.now().replace(microsecond=0), prepared_by, pub.as_of, pub.lang,
                     pub.data_key, files_digest(files), len(files), facts["statuses"], facts["spent_wan"],
                     int(last_load), pub.demo, zip_bytes(files, pub.as_of)])
    return int(number)


def approve(con: duckdb.DuckDBPyConnection, publication_id: int, approved_by: str) -> None:
    """Mark a prepared publication approved. Refused when unknown, already approved, or prepared by the approver
    (the review is a second person's: 信息公开审核)."""
    row = store.one(con, "SELECT prepared_by, approved_at FROM publications WHERE publication_id = ?",
                    [publication_id])
    if row is None:
        raise PublicationRefused("publish_unknown", number=publication_id)
    if row[1] is not None:
        raise PublicationRefused("publish_already_approved", number=publication_id)
    if row[0] == approved_by:
        raise PublicationRefused("publish_own_approval", number=publication_id)
    con.execute("UPDATE publications SET approved_by = ?, approved_at = ? WHERE publication_id = ?",
                [approved_by, dt.datetime.now().replace(microsecond=0), publication_id])


def approved_zip(con: duckdb.DuckDBPyConnection, publication_id: int) -> bytes:
    """The site of an approved publication as a zip; refused for one not approved (or unknown)."""
    row = store.one(con, "SELECT approved_at, site_zip FROM publications WHERE publication_id = ?", [publication_id])
    if row is None:
        raise PublicationRefused("publish_unknown", number=publication_id)
    if row[0] is None:
        raise PublicationRefused("publish_not_approved", number=publication_id)
    return bytes(row[1])


def site_files(con: duckdb.DuckDBPyConnection, publication_id: int) -> dict[str, bytes]:
    """The stored files of any publication (approved or not), for the reviewer's preview."""
    import io
    import zipfile

    row = store.one(con, "SELECT site_zip FROM publications WHERE publication_id = ?", [publication_id])
    if row is None:
        raise PublicationRefused("publish_unknown", number=publication_id)
    with zipfile.ZipFile(io.BytesIO(bytes(row[0]))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def publications(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """The records, newest first, without the files."""
    return store.query(con, """
        SELECT publication_id, prepared_at, prepared_by, as_of, lang, demo, file_count, files_digest,
               approved_by, approved_at FROM publications ORDER BY publication_id DESC LIMIT ?""", [limit])
