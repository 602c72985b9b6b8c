"""The last digests on the data page: what was sent, when, to which channel, with what answer (issue 19).

Viewers see the history; admins also see which channels are configured (never their secrets) and how to add one.
"""

from __future__ import annotations

import streamlit as st

from metrics import digest
from metrics.auth import can

from . import state


@st.cache_data(ttl=10, show_spinner=False, max_entries=8)
def _history(version: str):
    with state.connection() as con:
        return digest.history(con)


def draw(user) -> None:
    L = state.L
    st.subheader(L("工作简报推送记录", "Digests sent"))
    frame = state.current()
    history = _history(frame.version)
    if history.empty:
        st.caption(L("尚未发送过工作简报。命令：python -m metrics digest --send（可每周定时运行，见 README）。",
                     "No digest sent yet. Command: python -m metrics digest --send (weekly by timer, see README)."))
    else:
        shown = history.assign(
            channel=history["channel"].map(lambda c: digest.channel_name(c, frame.lang) if isinstance(c, str) else "—"),
            ok=history["ok"].map(lambda ok: L("已送达", "delivered") if ok is True
                                 else L("失败，下次重试", "failed, retried next run") if ok is False else "—"))
        st.dataframe(shown.rename(columns={
            "digest_id": L("编号", "digest"), "created_at": L("生成时间", "composed"), "as_of": L("统计日期", "as of"),
            "subject": L("标题", "subject"), "channel": L("渠道", "channel"), "attempted_at": L("最近发送", "last attempt"),
            "ok": L("结果", "result"), "answer": L("对方应答", "answer"), "attempts": L("尝试次数", "attempts")}),
            hide_index=True, width="stretch")
    if user is not None and can(user, "manage_users"):
        try:
            channels = digest.load_channels()
            problem = ""
        except digest.DigestConfigError as exc:
            channels, problem = {}, "；".join(exc.problems)
        names = "、".join(digest.channel_name(c, frame.lang) for c in channels) or L("无", "none")
        st.caption(L(f"已配置的渠道：{names}。渠道在服务器的 .streamlit/secrets.toml 中配置（[digest.wecom]、"
                     "[digest.dingtalk]、[digest.email]，见 README），密钥不在页面显示。",
                     f"Configured channels: {names}. Channels are set in the server's .streamlit/secrets.toml "
                     "([digest.wecom], [digest.dingtalk], [digest.email]; see README); secrets are never shown here."))
        if problem:
            st.error(problem)
