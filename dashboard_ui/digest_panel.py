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
    with state.reading() as con:
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
        _channel_form(user)


def _channel_form(user) -> None:
    """Admins set a channel; the secrets are written to the server's secrets file and never shown again."""
    from metrics import actions
    from metrics.auth import PermissionDenied

    L = state.L
    with st.expander(L("配置推送渠道（管理员）", "Configure a channel (admins)")):
        channel = st.selectbox(L("渠道", "Channel"), digest.CHANNELS, key="digest_channel",
                               format_func=lambda c: digest.channel_name(c, state.lang()))
        with st.form("digest_channel_form", clear_on_submit=True):
            settings: dict = {}
            if channel in ("wecom", "dingtalk"):
                settings["webhook"] = st.text_input("Webhook", type="password", key="digest_webhook")
            if channel == "dingtalk":
                settings["secret"] = st.text_input(L("加签密钥（SEC 开头）", "Signing secret (SEC…)"), type="password",
                                                   key="digest_secret")
            if channel == "email":
                settings["host"] = st.text_input(L("SMTP 服务器", "SMTP host"), key="digest_host")
                settings["port"] = int(st.number_input(L("端口", "Port"), 1, 65535, 465, key="digest_port"))
                settings["security"] = st.selectbox(L("加密", "Security"), ["ssl", "starttls", "none"],
                                                    key="digest_security")
                settings["user"] = st.text_input(L("账号", "User"), key="digest_user")
                settings["password"] = st.text_input(L("密码", "Password"), type="password", key="digest_password")
                settings["sender"] = st.text_input(L("发件人", "Sender"), key="digest_sender")
                recipients = st.text_area(L("收件人（每行一个）", "Recipients (one a line)"), key="digest_recipients")
                settings["recipients"] = [r.strip() for r in recipients.splitlines() if r.strip()]
            if st.form_submit_button(L("保存", "Save")):
                try:
                    actions.configure_digest_channel(user, channel, settings)
                    st.success(L("已保存到服务器的 secrets.toml", "saved to the server's secrets.toml"))
                except digest.DigestConfigError as exc:
                    st.error("；".join(exc.problems))
                except PermissionDenied as exc:
                    st.error(exc.message(state.lang()))
