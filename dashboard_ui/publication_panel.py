"""政务公开 on the acceptance page (issue 28): editors prepare the public site at the page's as-of date, an
administrator other than the one who prepared it approves it, and only then can it be downloaded as a zip for the
county's webmaster. Every publication is listed (as-of, who prepared and approved it, when, the digest of its files).

On the acceptance page because both are what the county sends out under its name at a date, from the same figures
(the acceptance pack to the commerce and finance departments, this to the public). The preview is the printable page
in a frame whose address is a data: URL, so it has an origin of its own and cannot reach the dashboard.
"""

from __future__ import annotations

import base64

import streamlit as st

from metrics import actions
from metrics.core.config import ConfigError
from metrics.kpi.formatting import format_date
from metrics.outputs import publish_record
from metrics.outputs.publish import PublicationRefused
from metrics.platform.auth import PermissionDenied, can

from . import state

PREVIEW_HEIGHT = 720  # px: the printable page scrolls inside its frame


def _records():
    with state.reading() as con:
        return publish_record.publications(con)


def _stored_files(number: int) -> dict[str, bytes]:
    with state.reading() as con:
        return publish_record.site_files(con, number)


def draw(user) -> None:
    """The section, for editors and admins only (viewers read the same figures on the other pages)."""
    if user is None or not can(user, "publish"):
        return
    frame = state.current()
    st.subheader(state.t("publish_panel_title"))
    st.caption(state.t("publish_panel_intro", date=format_date(frame.as_of, frame.lang)))
    languages = {"zh": state.t("publish_panel_chinese"), "en": state.t("publish_panel_english")}
    lang = st.radio(state.t("publish_panel_language"), list(languages), format_func=languages.get, horizontal=True,
                    key="publish_lang")
    if st.button(state.t("publish_panel_prepare"), icon=":material/public:", key="publish_prepare"):
        with st.spinner(state.t("publish_panel_preparing")):
            try:
                with state.connection() as con:
                    number, _files = actions.prepare_publication(con, user, frame.as_of, lang)
                st.session_state["publish_selected"] = number
                st.success(state.t("publish_panel_prepared", number=number))
            except (PermissionDenied, PublicationRefused, ConfigError) as exc:
                st.error(exc.message(frame.lang))
    records = _records()
    if records.empty:
        st.caption(state.t("publish_panel_none"))
        return
    def when(value) -> str:
        return "—" if value is None or value != value else f"{value:%Y-%m-%d %H:%M}"

    shown = records.assign(
        lang=records["lang"].map(languages.get), as_of=records["as_of"].map(lambda d: format_date(d, frame.lang)),
        prepared_at=records["prepared_at"].map(when), approved_at=records["approved_at"].map(when),
        approved_by=records["approved_by"].fillna("—"), files_digest=records["files_digest"].str[:12])
    st.dataframe(shown.drop(columns=["demo"]).rename(columns={
        "publication_id": state.t("publish_panel_number"), "prepared_at": state.t("publish_panel_prepared_at"),
        "prepared_by": state.t("publish_panel_prepared_by"), "as_of": state.t("publish_panel_as_of"),
        "lang": state.t("publish_panel_language"), "file_count": state.t("publish_panel_files"),
        "files_digest": state.t("publish_panel_digest"), "approved_by": state.t("publish_panel_approved_by"),
        "approved_at": state.t("publish_panel_approved_at")}), hide_index=True, width="stretch")
    numbers = list(records["publication_id"])
    chosen = st.selectbox(state.t("publish_panel_choose"), numbers, key="publish_choice",
                          index=numbers.index(st.session_state["publish_selected"])
                          if st.session_state.get("publish_selected") in numbers else 0)
    record = records[records["publication_id"] == chosen].iloc[0]
    _review(user, int(chosen), record, frame.lang)


def _review(user, number: int, record, lang: str) -> None:
    approved = isinstance(record["approved_by"], str)
    if approved:
        with state.reading() as con:
            try:
                archive = actions.publication_zip(con, user, number)
            except (PermissionDenied, PublicationRefused) as exc:
                st.error(exc.message(lang))
                archive = None
        if archive is not None:
            st.download_button(state.t("publish_panel_download"), archive, key=f"publish_zip_{number}",
                               file_name=f"publication-{number}-{record['as_of']:%Y%m%d}.zip",
                               mime="application/zip", icon=":material/download:")
    else:
        st.info(state.t("publish_panel_awaiting"), icon=":material/rule:")
        own = record["prepared_by"] == user.login
        if can(user, "approve_publication") and not own:
            if st.button(state.t("publish_panel_approve", number=number), type="primary", key=f"publish_ok_{number}",
                         icon=":material/verified:"):
                try:
                    with state.connection() as con:
                        actions.approve_publication(con, user, number)
                    st.rerun()
                except (PermissionDenied, PublicationRefused) as exc:
                    st.error(exc.message(lang))
        elif own and can(user, "approve_publication"):
            st.caption(state.t("publish_panel_not_own"))
    page = _stored_files(number)["print.html"]
    st.iframe("data:text/html;base64," + base64.b64encode(page).decode("ascii"), height=PREVIEW_HEIGHT)
