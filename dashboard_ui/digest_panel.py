"""The last digests on the data page: what was sent, when, to which channel, with what answer (issue 19).

Viewers and clerks see the history, in words; admins also see which channels are configured (never their secrets),
how to add one, and the commands (a clerk is never told to run `python -m …`).
"""

from __future__ import annotations

import streamlit as st

from metrics.outputs import digest, digest_channels
from metrics.platform.auth import can

from . import state, ui


@st.cache_data(ttl=10, show_spinner=False, max_entries=8)
def _history(version: str):
    with state.reading() as con:
        return digest.history(con)


def draw(user) -> None:
    st.subheader(state.t("digest_panel_digests_sent"))
    frame = state.current()
    history = _history(frame.version)
    admin = user is not None and can(user, "manage_users")
    if history.empty:  # a clerk is told what happens, in words; the administrator gets the command that does it
        st.caption(state.t("digest_panel_none_sent" if admin else "digest_panel_none_sent_reader"))
    else:
        if user is None or not can(user, "manage_users"):
            # A channel's answer may name refused recipients or quote another service: for administrators only.
            history = history.drop(columns=["answer"])
        shown = history.assign(
            channel=history["channel"].map(lambda c: digest.channel_name(c, frame.lang) if isinstance(c, str) else "—"),
            ok=history["ok"].map(lambda ok: state.t("digest_panel_delivered") if ok is True
                                 else state.t("digest_panel_failed") if ok is False else "—"))
        st.dataframe(shown.rename(columns={
            "digest_id": state.t("digest_panel_digest"), "created_at": state.t("digest_panel_composed"), "as_of": state.t("digest_panel_as_of"),
            "subject": state.t("digest_panel_subject"), "channel": state.t("digest_panel_channel_column"), "attempted_at": state.t("digest_panel_last_attempt"),
            "ok": state.t("digest_panel_result"), "answer": state.t("digest_panel_answer"), "attempts": state.t("digest_panel_attempts")}),
            hide_index=True, width="stretch")
    if admin:
        try:
            channels = digest.load_channels()
            problem = ""
        except digest.DigestConfigError as exc:
            channels, problem = {}, state.t("problem_separator").join(exc.problem_texts(state.lang()))
        names = state.t("list_separator").join(digest.channel_name(c, frame.lang) for c in channels) or state.t("digest_panel_none")
        st.caption(state.t("digest_panel_channels_note", names=names))
        if problem:
            st.error(ui.plain(problem))  # it quotes the secrets file
        _channel_form(user)


def _ask(field):
    """One setting's widget, by its kind; a secret is typed into a password box and never shown again."""
    label, key = field.label(state.lang()), f"digest_{field.key}"
    if field.kind == "port":
        return int(st.number_input(label, 1, 65535, 465, key=key))
    if field.kind == "choice":
        return st.selectbox(label, list(field.choices), key=key)
    if field.kind == "lines":
        return [line.strip() for line in st.text_area(label, key=key).splitlines() if line.strip()]
    return st.text_input(label, type="password" if field.kind == "secret" else "default", key=key)


def _channel_form(user) -> None:
    """Admins set a channel; the secrets are written to the server's secrets file and never shown again."""
    from metrics import actions
    from metrics.platform.auth import PermissionDenied

    with st.expander(state.t("digest_panel_configure")):
        channel = st.selectbox(state.t("digest_panel_channel"), list(digest.CHANNELS), key="digest_channel",
                               format_func=lambda c: digest.channel_name(c, state.lang()))
        with st.form("digest_channel_form", clear_on_submit=True):
            # The channel's fields from its row of the table (metrics/outputs/digest_channels.py).
            settings = {field.key: _ask(field) for field in digest_channels.CHANNELS[channel].fields}
            if st.form_submit_button(state.t("digest_panel_save")):
                try:
                    actions.configure_digest_channel(user, channel, settings)
                    st.success(state.t("digest_panel_saved"))
                except digest.DigestConfigError as exc:
                    st.error(ui.plain(state.t("problem_separator").join(exc.problem_texts(state.lang()))))
                except PermissionDenied as exc:
                    st.error(exc.message(state.lang()))
